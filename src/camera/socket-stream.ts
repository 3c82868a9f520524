import { createConnection } from 'node:net';
import { UserError } from '../common/errors.js';
import type { CameraConfig } from '../rig/rig-config.js';
import type { CameraStream } from './camera-stream.js';

/** Connects to a Unix socket that streams concatenated JPEG frames. */
export function openSocketStream(camera: CameraConfig, path: string): Promise<CameraStream> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path });
    let stopping = false;

    const onConnectError = (error: NodeJS.ErrnoException): void => {
      reject(
        new UserError(
          `camera ${camera.name}: cannot connect to ${path} (${error.code ?? error.message}): start the simulated rig first, or fix the camera's device in the rig file`,
        ),
      );
    };
    socket.once('error', onConnectError);

    socket.once('connect', () => {
      socket.off('error', onConnectError);
      const ended = new Promise<string>((resolveEnded) => {
        socket.on('error', (error) => {
          if (!stopping) resolveEnded(`socket ${path} failed: ${error.message}`);
        });
        socket.once('close', () => {
          if (!stopping) resolveEnded(`socket ${path} closed by the sender`);
        });
      });
      resolve({
        data: socket,
        ended,
        stop: async () => {
          stopping = true;
          if (socket.destroyed) return;
          await new Promise<void>((done) => {
            socket.once('close', () => done());
            socket.destroy();
          });
        },
      });
    });
  });
}

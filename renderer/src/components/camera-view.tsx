import { type ReactNode, useCallback, useRef, useState } from 'react';
import type { CameraFrameEvent } from '../../../src/service/api.js';
import { useTopicListener } from '../hooks/studio-context.js';

/** Live view of one camera from the 'frame' stream; the image is swapped without re-rendering React. */
export function CameraView({ camera, overlay }: { camera: string; overlay?: ReactNode }) {
  const image = useRef<HTMLImageElement>(null);
  const [seen, setSeen] = useState(false);

  const onFrame = useCallback(
    (frame: CameraFrameEvent) => {
      if (frame.camera !== camera || !image.current) return;
      image.current.src = `data:image/jpeg;base64,${frame.jpegBase64}`;
      if (!seen) setSeen(true);
    },
    [camera, seen],
  );
  useTopicListener('frame', onFrame);

  return (
    <figure className="camera" data-testid={`camera-${camera}`} data-live={seen ? 'true' : 'false'}>
      <img ref={image} alt={`${camera} live view`} style={{ visibility: seen ? 'visible' : 'hidden' }} />
      {!seen && <div className="camera-waiting">waiting for {camera}</div>}
      {overlay && <div className="camera-overlay">{overlay}</div>}
      <figcaption>{camera}</figcaption>
    </figure>
  );
}

/** A still frame (episode review). */
export function CameraStill({ camera, jpegBase64, caption }: { camera: string; jpegBase64: string | null; caption: string }) {
  return (
    <figure className="camera" data-testid={`still-${camera}`}>
      {jpegBase64 ? <img alt={`${camera} at the scrubber time`} src={`data:image/jpeg;base64,${jpegBase64}`} /> : <div className="camera-waiting">no frame</div>}
      <figcaption>{caption}</figcaption>
    </figure>
  );
}

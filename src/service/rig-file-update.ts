import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { UserError, errorMessage } from '../common/errors.js';
import { type ArmName, type Calibration, type RigConfig, parseRigConfig } from '../rig/rig-config.js';

/**
 * Writes new calibrations of one arm's motors (by motor id) into a rig file and returns the
 * updated configuration. Other fields keep their text values. The file is replaced atomically
 * (write to a sibling, then rename), so a crash leaves the old or the new file, never half of one.
 */
export function writeArmCalibration(rigFile: string, arm: ArmName, calibrations: ReadonlyMap<number, Calibration>): RigConfig {
  let json: { arms?: Record<string, { motors?: Array<{ id: number; calibration: Calibration }> }> };
  try {
    json = JSON.parse(readFileSync(rigFile, 'utf8'));
  } catch (error) {
    throw new UserError(`cannot read rig file ${rigFile} (${errorMessage(error)}): check that it still exists and is valid JSON`);
  }

  const motors = json.arms?.[arm]?.motors;
  if (!motors) throw new UserError(`rig file ${rigFile} has no motors for ${arm}: fix the file and calibrate again`);
  for (const motor of motors) {
    const calibration = calibrations.get(motor.id);
    if (calibration) motor.calibration = { ...calibration };
  }
  const rig = parseRigConfig(json, rigFile);

  const staging = `${rigFile}.calibrating`;
  writeFileSync(staging, `${JSON.stringify(json, null, 2)}\n`);
  renameSync(staging, rigFile);
  return rig;
}

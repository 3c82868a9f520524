/**
 * README.md of an exported dataset: the Hugging Face dataset card LeRobot writes (YAML header with
 * the LeRobot tag, the robotics task category and the data files), naming the dataset and showing
 * its info.json.
 */
export function datasetCard(repoId: string, info: Record<string, unknown>): string {
  return [
    '---',
    'tags:',
    '- LeRobot',
    'task_categories:',
    '- robotics',
    'configs:',
    '- config_name: default',
    '  data_files: data/*/*.parquet',
    '---',
    '',
    `# ${repoId}`,
    '',
    'Exported from an RD-VLA Studio episode database in the LeRobotDataset v3.0 format.',
    '',
    '[meta/info.json](meta/info.json):',
    '```json',
    JSON.stringify(info, null, 4),
    '```',
    '',
  ].join('\n');
}

/** Progress of long work; without `total` it shows an indeterminate bar. */
export function ProgressBar({ label, done, total }: { label: string; done?: number; total?: number }) {
  const fraction = done !== undefined && total ? Math.min(1, done / total) : null;
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuenow={fraction === null ? undefined : Math.round(fraction * 100)}>
      <div className={fraction === null ? 'progress-fill indeterminate' : 'progress-fill'} style={fraction === null ? undefined : { width: `${fraction * 100}%` }} />
      <span>{label}</span>
    </div>
  );
}

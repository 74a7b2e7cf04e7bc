// Plain-text tables and durations as the CLI prints them.

/** Left-aligned columns, two spaces apart; the last column is not padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** 00:03:21, or 2d 04:05:06 past a day (as gobgp prints up/down times). */
export function formatDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const days = Math.floor(seconds / 86400);
  const clock = [Math.floor((seconds % 86400) / 3600), Math.floor((seconds % 3600) / 60), seconds % 60]
    .map((n) => String(n).padStart(2, '0'))
    .join(':');
  return days > 0 ? `${days}d ${clock}` : clock;
}

const stateNames: Readonly<Record<string, string>> = {
  idle: 'Idle',
  connect: 'Connect',
  active: 'Active',
  openSent: 'OpenSent',
  openConfirm: 'OpenConfirm',
  established: 'Established',
};

export function formatState(state: string): string {
  return stateNames[state] ?? state;
}

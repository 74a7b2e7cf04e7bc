// The agent's log lines worth showing next to a benchmark result: pino JSON
// at warn level and above (level >= 40), or anything that is not JSON (a
// stack trace, an out-of-memory report).

export function notableAgentLines(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => {
      if (!line.startsWith('{')) return true;
      try {
        const level: unknown = Reflect.get(JSON.parse(line) as object, 'level');
        return typeof level !== 'number' || level >= 40;
      } catch {
        return true;
      }
    });
}

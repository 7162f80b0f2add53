/** How a tool call reads on its card: a one-line summary and the input worth showing. */
export interface ToolInputDisplay {
  /** One line for the card's header (a command, a file, a pattern); '' when there is none. */
  summary: string;
  /** For shell tools: the command, shown as is. */
  command: string | null;
  /** Anything else: the input as indented JSON. */
  json: string | null;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);

/** The input field that says the most about each of Claude Code's tools. */
const summaryFields: Record<string, readonly string[]> = {
  Read: ['file_path'],
  Write: ['file_path'],
  Edit: ['file_path'],
  MultiEdit: ['file_path'],
  NotebookEdit: ['notebook_path'],
  Glob: ['pattern'],
  Grep: ['pattern'],
  WebFetch: ['url'],
  WebSearch: ['query'],
  Task: ['description'],
  Agent: ['description'],
};

const firstLine = (s: string, max = 120): string => {
  const line = s.trim().split('\n')[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

export function describeToolInput(name: string, input: unknown): ToolInputDisplay {
  const fields = isRecord(input) ? input : {};
  if (name === 'Bash' || name === 'BashOutput' || name === 'Shell') {
    const command = str(fields['command']);
    if (command) {
      const description = str(fields['description']);
      return { summary: firstLine(description ?? command), command, json: null };
    }
  }
  let summary = '';
  for (const field of summaryFields[name] ?? []) {
    const value = str(fields[field]);
    if (value) {
      summary = firstLine(value);
      break;
    }
  }
  return { summary, command: null, json: input === undefined ? null : prettyJson(input) };
}

function prettyJson(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    // A value JSON cannot hold (a cycle cannot arrive over the wire, but stay safe): show it plainly.
    return String(value);
  }
}

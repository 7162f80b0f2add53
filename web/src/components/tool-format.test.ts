import { describe, expect, it } from 'vitest';
import { describeToolInput } from './tool-format.js';

describe('describeToolInput', () => {
  it('shows a Bash command as is, summarised by its description', () => {
    expect(
      describeToolInput('Bash', { command: 'python report.py\necho done', description: 'Run the report' }),
    ).toEqual({
      summary: 'Run the report',
      command: 'python report.py\necho done',
      json: null,
    });
    expect(describeToolInput('Bash', { command: 'ls -la' }).summary).toBe('ls -la');
  });

  it('summarises file tools by their path and shows the input as JSON', () => {
    const d = describeToolInput('Write', { file_path: '/work/a.py', content: 'print(1)' });
    expect(d.summary).toBe('/work/a.py');
    expect(d.command).toBeNull();
    expect(d.json).toBe('{\n  "file_path": "/work/a.py",\n  "content": "print(1)"\n}');
  });

  it('copes with unknown tools and odd inputs', () => {
    expect(describeToolInput('mcp__x__y', { a: 1 })).toEqual({ summary: '', command: null, json: '{\n  "a": 1\n}' });
    expect(describeToolInput('Bash', 'not an object')).toEqual({ summary: '', command: null, json: '"not an object"' });
    expect(describeToolInput('Read', undefined)).toEqual({ summary: '', command: null, json: null });
  });

  it('cuts long summaries to one line', () => {
    const long = 'x'.repeat(300);
    expect(describeToolInput('Grep', { pattern: long }).summary).toHaveLength(120);
  });
});

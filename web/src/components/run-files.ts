import type { RunFile, RunFileContent } from '@agent-platform/core/protocol';
import {
  html,
  LitElement,
  nothing,
  type PropertyValues,
  type ReactiveController,
  type ReactiveControllerHost,
} from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { type ApiClient, type ApiError, asApiError } from '../api/client.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { errorMessage } from '../i18n/index.js';
import { parseCsv } from './csv.js';
import './error-banner.js';
import { contentText, type FileViewKind, fileViewKind, formatBytes, imageDataUrl, prettyJson } from './file-kind.js';
import { runFilesStyles } from './run-files.styles.js';
import { sharedStyles } from './shared.styles.js';

/** Rows of a CSV shown in the table (besides its header); the rest is left out with a note. */
export const csvRowLimit = 500;

type Opened =
  | { state: 'loading'; abort: AbortController }
  | { state: 'ready'; content: RunFileContent }
  | { state: 'error'; error: ApiError };

/** Loads the kept content of a run's files as they are opened (GET /api/runs/:id/file). */
class FileContents implements ReactiveController {
  opened: ReadonlyMap<string, Opened> = new Map();

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly api: () => ApiClient | undefined,
  ) {
    host.addController(this);
  }

  isOpen(path: string): boolean {
    return this.opened.has(path);
  }

  async open(runId: string, path: string): Promise<void> {
    const api = this.api();
    if (!api) return;
    const abort = new AbortController();
    this.set(path, { state: 'loading', abort });
    try {
      const content = await api.getRunFile(runId, path, abort.signal);
      if (this.opened.get(path)?.state === 'loading') this.set(path, { state: 'ready', content });
    } catch (e) {
      if (abort.signal.aborted) return;
      this.set(path, { state: 'error', error: asApiError(e) });
    }
  }

  close(path: string): void {
    const current = this.opened.get(path);
    if (current?.state === 'loading') current.abort.abort();
    const next = new Map(this.opened);
    next.delete(path);
    this.opened = next;
    this.host.requestUpdate();
  }

  /** Closes everything (another run, or the page went away). */
  clear(): void {
    for (const opened of this.opened.values()) if (opened.state === 'loading') opened.abort.abort();
    this.opened = new Map();
  }

  hostDisconnected(): void {
    this.clear();
  }

  private set(path: string, opened: Opened): void {
    this.opened = new Map(this.opened).set(path, opened);
    this.host.requestUpdate();
  }
}

/**
 * The files a run created, changed or deleted: a table, and in it the content of each file whose
 * content was kept with the run (text, JSON, CSV as a table, images), opened in place.
 */
@customElement('ap-run-files')
export class RunFiles extends LitElement {
  static override styles = [sharedStyles, runFilesStyles];

  @property({ attribute: false }) api?: ApiClient;
  @property() runId = '';
  @property({ attribute: false }) files: readonly RunFile[] = [];
  /** The agent's folder in the workspace, where files that cannot be shown here are. */
  @property() folder = '';

  private readonly i18n = new LocaleController(this);
  private readonly contents = new FileContents(this, () => this.api);

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('runId') && changed.get('runId') !== undefined) this.contents.clear();
  }

  override render() {
    const t = this.i18n.t.run.files;
    if (this.files.length === 0) {
      return html`<p class="empty" data-testid="run-files-empty">${t.empty}</p>`;
    }
    const unavailable = this.files.some((f) => f.changeKind !== 'deleted' && !f.stored);
    return html`<div class="scroll" data-testid="run-files">
      <table class="files">
        <caption class="visually-hidden">${t.title}</caption>
        <thead>
          <tr>
            <th scope="col">${t.path}</th>
            <th scope="col">${t.change}</th>
            <th scope="col" class="num">${t.size}</th>
            <th scope="col"><span class="visually-hidden">${t.actions}</span></th>
          </tr>
        </thead>
        <tbody>
          ${repeat(
            this.files,
            (file) => file.path,
            (file, index) => this.renderFile(file, index),
          )}
        </tbody>
      </table>
    </div>
    ${unavailable ? html`<p class="note" data-testid="run-files-note">${t.inWorkspace(this.folder)}</p>` : nothing}`;
  }

  private renderFile(file: RunFile, index: number) {
    const t = this.i18n.t.run.files;
    const open = this.contents.isOpen(file.path);
    const viewerId = `file-view-${index}`;
    const deleted = file.changeKind === 'deleted';
    return html`<tr
        data-testid="run-file"
        data-path=${file.path}
        data-change=${file.changeKind}
        data-stored=${String(file.stored === true)}
      >
        <td class="path"><code>${file.path}</code></td>
        <td><span class="change ${file.changeKind}">${t.kinds[file.changeKind]}</span></td>
        <td class="num">${deleted ? '—' : formatBytes(this.i18n.locale, file.bytes)}</td>
        <td class="action">
          ${
            deleted
              ? nothing
              : !file.stored
                ? html`<span class="unavailable" data-testid="run-file-unavailable"
                    >${fileViewKind(file) === 'none' ? t.notViewableShort : t.tooLargeShort}</span
                  >`
                : html`<button
                  class="small"
                  type="button"
                  data-testid="run-file-open"
                  aria-expanded=${String(open)}
                  aria-controls=${viewerId}
                  aria-label=${open ? t.hideLabel(file.path) : t.showLabel(file.path)}
                  @click=${() => this.toggle(file)}
                >
                  ${open ? t.hide : t.show}
                </button>`
          }
        </td>
      </tr>
      ${
        open
          ? html`<tr class="viewer-row">
              <td colspan="4" id=${viewerId}>${this.renderViewer(file)}</td>
            </tr>`
          : nothing
      }`;
  }

  private toggle(file: RunFile): void {
    if (this.contents.isOpen(file.path)) this.contents.close(file.path);
    else if (file.stored) void this.contents.open(this.runId, file.path);
  }

  private renderViewer(file: RunFile) {
    const t = this.i18n.t.run.files;
    const opened = this.contents.opened.get(file.path);
    if (!opened || opened.state === 'loading') {
      return html`<p class="note" role="status"><span class="spinner" aria-hidden="true"></span>${t.loading}</p>`;
    }
    if (opened.state === 'error') {
      return html`<ap-error-banner
        testid="run-file-error"
        .heading=${t.loadFailed}
        .message=${errorMessage(this.i18n.t, opened.error)}
        .code=${opened.error.code}
      >
        <button class="small" type="button" @click=${() => this.contents.open(this.runId, file.path)}>
          ${this.i18n.t.run.tryAgain}
        </button>
      </ap-error-banner>`;
    }
    const content = opened.content;
    // The server's content type wins over the listing's guess.
    const kind = fileViewKind({ path: file.path, contentType: content.contentType || file.contentType });
    return html`<div class="viewer" data-testid="run-file-view" data-path=${file.path} data-kind=${kind}>
      ${this.renderContent(kind, content, file.path)}
    </div>`;
  }

  private renderContent(kind: FileViewKind, content: RunFileContent, path: string) {
    const t = this.i18n.t.run.files;
    if (kind === 'image') {
      const src = imageDataUrl(content);
      if (src) return html`<img data-testid="run-file-image" src=${src} alt=${t.imageAlt(path)} />`;
    }
    if (kind === 'image' || kind === 'none') {
      return html`<p class="note" data-testid="run-file-note">${t.notViewable(this.folder)}</p>`;
    }
    let text: string;
    try {
      text = contentText(content);
    } catch {
      // Sent as base64 but not valid base64: there is nothing readable to show.
      return html`<p class="note" data-testid="run-file-note">${t.notViewable(this.folder)}</p>`;
    }
    if (text === '') return html`<p class="note">${t.emptyFile}</p>`;
    if (kind === 'csv' || kind === 'tsv') return this.renderTable(text, kind === 'tsv' ? '\t' : ',', path);
    return html`<pre class="text" data-testid="run-file-text" tabindex="0" aria-label=${path}>${
      kind === 'json' ? prettyJson(text) : text
    }</pre>`;
  }

  private renderTable(text: string, delimiter: string, path: string) {
    const t = this.i18n.t.run.files;
    const table = parseCsv(text, { delimiter, maxRows: csvRowLimit + 1 });
    const [header = [], ...rows] = table.rows;
    const columns = Array.from({ length: table.columns }, (_, i) => i);
    const n = (v: number) => new Intl.NumberFormat(this.i18n.locale).format(v);
    return html`<div class="table-scroll" tabindex="0" role="region" aria-label=${path}>
        <table class="csv" data-testid="run-file-table">
          <thead>
            <tr>
              ${columns.map((i) => html`<th scope="col">${header[i] ?? ''}</th>`)}
            </tr>
          </thead>
          <tbody>
            ${rows.map((row) => html`<tr>${columns.map((i) => html`<td>${row[i] ?? ''}</td>`)}</tr>`)}
          </tbody>
        </table>
      </div>
      ${table.truncated ? html`<p class="note" data-testid="run-file-capped">${t.rowsCapped(n(csvRowLimit))}</p>` : nothing}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-run-files': RunFiles;
  }
}

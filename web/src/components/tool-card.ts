import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import type { ToolItemView } from '../controllers/conversation.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { sharedStyles } from './shared.styles.js';
import { toolCardStyles } from './tool-card.styles.js';
import { describeToolInput } from './tool-format.js';

/** A tool call as a collapsible card: its name and input, then its output once it arrives. */
@customElement('ap-tool-card')
export class ToolCard extends LitElement {
  static override styles = [sharedStyles, toolCardStyles];

  @property({ attribute: false }) tool?: ToolItemView;

  @query('details') private details?: HTMLDetailsElement;

  private readonly i18n = new LocaleController(this);

  override render() {
    const tool = this.tool;
    if (!tool) return nothing;
    const t = this.i18n.t.tool;
    const input = describeToolInput(tool.name, tool.input);
    const state = tool.state;
    return html`<details data-testid="tool-card" data-state=${state} class=${state}>
      <summary>
        <span class="icon ${state}" aria-hidden="true">${this.icon()}</span>
        <span class="name" data-testid="tool-name">${tool.name || '…'}</span>
        <span class="summary">${input.summary}</span>
        ${state === 'running' ? html`<span class="visually-hidden">${t.running}</span>` : nothing}
        ${state === 'error' ? html`<span class="visually-hidden">${t.failed}</span>` : nothing}
      </summary>
      <div class="body">
        ${
          input.command !== null
            ? html`<div class="label">${t.command}</div><pre class="command">${input.command}</pre>`
            : input.json !== null
              ? html`<div class="label">${t.input}</div><pre class="input">${input.json}</pre>`
              : nothing
        }
        <div class="label">${t.output}</div>
        ${this.renderOutput()}
      </div>
    </details>`;
  }

  protected override updated(changed: PropertyValues<this>): void {
    // Open a failed step by itself once; after that, the user decides.
    const before = changed.get('tool') as ToolItemView | undefined;
    if (this.tool?.state === 'error' && before?.state !== 'error' && this.details) this.details.open = true;
  }

  private renderOutput() {
    const tool = this.tool;
    const t = this.i18n.t.tool;
    if (!tool) return nothing;
    if (tool.result) {
      return html`<pre class="output ${tool.result.isError ? 'error' : ''}" data-testid="tool-output">${
        tool.result.output || t.noOutput
      }</pre>
        ${tool.result.truncated ? html`<div class="note">${t.truncated}</div>` : nothing}`;
    }
    if (tool.state === 'running') return html`<div class="note"><span class="spinner"></span> ${t.running}</div>`;
    return html`<div class="note">${t.noResult}</div>`;
  }

  private icon() {
    switch (this.tool?.state) {
      case 'running':
        return html`<span class="spinner"></span>`;
      case 'done':
        return '✓';
      case 'error':
        return '✕';
      default:
        return '–';
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-tool-card': ToolCard;
  }
}

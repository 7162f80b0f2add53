import { html, LitElement } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { classMap } from 'lit/directives/class-map.js';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import { assistantMessageStyles } from './assistant-message.styles.js';
import { renderMarkdown } from './markdown.js';
import { markdownStyles } from './markdown.styles.js';
import { sharedStyles } from './shared.styles.js';

/**
 * One assistant message, rendered as sanitized markdown. It re-renders only when its own text
 * changes: while it streams, the rest of the conversation stays untouched.
 */
@customElement('ap-assistant-message')
export class AssistantMessage extends LitElement {
  static override styles = [sharedStyles, markdownStyles, assistantMessageStyles];

  /** The message's markdown. */
  @property() text = '';

  /** Shows a caret while more text is coming. */
  @property({ type: Boolean }) streaming = false;

  override render() {
    return html`<div
      class=${classMap({ md: true, streaming: this.streaming })}
      data-testid="assistant-message"
      data-complete=${String(!this.streaming)}
    >${unsafeHTML(renderMarkdown(this.text))}</div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-assistant-message': AssistantMessage;
  }
}

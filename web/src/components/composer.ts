import { Limits } from '@agent-platform/core/protocol';
import { html, LitElement, type PropertyValues } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import { live } from 'lit/directives/live.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { composerStyles } from './composer.styles.js';
import { DraftChangeEvent, SendMessageEvent } from './events.js';
import { sharedStyles } from './shared.styles.js';

const utf8 = new TextEncoder();

/**
 * The message box. Enter sends, Shift+Enter adds a line (and Enter while an input method is
 * composing — Korean, say — only ends the composition). The page owns the text (`value`).
 *
 * @fires ap-draft-change - the text changed.
 * @fires ap-send - the user sent the text (never empty).
 */
@customElement('ap-composer')
export class Composer extends LitElement {
  static override styles = [sharedStyles, composerStyles];

  @property() value = '';

  /** Everything off (while the conversation loads). */
  @property({ type: Boolean }) disabled = false;

  @query('textarea') private textarea?: HTMLTextAreaElement;

  private readonly i18n = new LocaleController(this);

  /** Puts the cursor in the box. */
  override focus(): void {
    this.textarea?.focus();
  }

  override render() {
    const t = this.i18n.t.composer;
    const bytes = this.value.length > Limits.messageTextBytes / 4 ? utf8.encode(this.value).length : 0;
    const tooLong = bytes > Limits.messageTextBytes;
    const canSend = !this.disabled && this.value.trim() !== '';
    return html`<form @submit=${this.onSubmit}>
        <label class="visually-hidden" for="input">${t.label}</label>
        <textarea
          id="input"
          data-testid="composer-input"
          rows="1"
          .value=${live(this.value)}
          placeholder=${t.placeholder}
          aria-describedby="hint"
          ?disabled=${this.disabled}
          @input=${this.onInput}
          @keydown=${this.onKeyDown}
        ></textarea>
        <button class="primary" type="submit" data-testid="composer-send" ?disabled=${!canSend}>${t.send}</button>
      </form>
      <div id="hint" class="hint ${tooLong ? 'warn' : ''}" aria-live="polite">
        ${tooLong ? t.tooLong(Math.ceil(bytes / 1024), Limits.messageTextBytes / 1024) : t.hint}
      </div>`;
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('value')) this.fitHeight();
  }

  private fitHeight(): void {
    const textarea = this.textarea;
    if (!textarea) return;
    textarea.style.height = 'auto';
    textarea.style.height = `${textarea.scrollHeight}px`;
  }

  private onInput(e: InputEvent): void {
    const value = (e.target as HTMLTextAreaElement).value;
    this.dispatchEvent(new DraftChangeEvent(value));
    this.fitHeight();
  }

  private onKeyDown(e: KeyboardEvent): void {
    // keyCode 229: some browsers report the composition's Enter this way instead of isComposing.
    if (e.key !== 'Enter' || e.shiftKey || e.isComposing || e.keyCode === 229) return;
    e.preventDefault();
    this.send();
  }

  private onSubmit(e: SubmitEvent): void {
    e.preventDefault();
    this.send();
  }

  private send(): void {
    const text = this.textarea?.value ?? this.value;
    if (this.disabled || text.trim() === '') return;
    this.dispatchEvent(new SendMessageEvent(text));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-composer': Composer;
  }
}

import type { AgentResponse } from '@agent-platform/core/protocol';
import { Task, TaskStatus } from '@lit/task';
import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { type ApiClient, asApiError } from '../api/client.js';
import type { ProposalView, SavedAgentView } from '../controllers/conversation.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { formatCostUsd, formatDurationMs, formatInteger } from '../i18n/format.js';
import { errorMessage, type Locale } from '../i18n/index.js';
import { agentPreviewStyles } from './agent-preview.styles.js';
import './error-banner.js';
import { sharedStyles } from './shared.styles.js';

/** An agent made from a draft: by Claude (`agent.saved`) or by the Save button here. */
interface SavedAgent {
  agentId: string;
  name: string;
  /** The seq it follows: a proposal with a greater seq is a newer draft, not saved yet. */
  afterSeq: number;
  /** The webhook secret, shown this once (only when saved here, with a webhook). */
  webhookSecret: string | null;
}

/** The issues of a refused save (VALIDATION_FAILED), as the server named them. */
function validationIssues(details: Record<string, unknown> | undefined): { path: string; message: string }[] {
  const issues = details?.['issues'];
  if (!Array.isArray(issues)) return [];
  return issues.flatMap((issue: unknown) => {
    if (typeof issue !== 'object' || issue === null) return [];
    const { path, message } = issue as { path?: unknown; message?: unknown };
    return typeof message === 'string' ? [{ path: typeof path === 'string' ? path : '', message }] : [];
  });
}

const agentPath = (agentId: string): string => `/agents/${encodeURIComponent(agentId)}`;

/** The browser's own time zone (the times are shown in it). */
const localTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

function formatRunTime(locale: Locale, atMs: number, timeZone?: string): string {
  return new Intl.DateTimeFormat(locale, {
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    ...(timeZone ? { timeZone } : {}),
  }).format(atMs);
}

/**
 * The agent being designed in an agent-create session: the latest draft Claude proposed (name,
 * what it does, when it runs and the next times, its steps, limits and notifications), and a
 * Save button; or that it was saved, with a link to it. On narrow screens it folds into a bar.
 */
@customElement('ap-agent-preview')
export class AgentPreview extends LitElement {
  static override styles = [sharedStyles, agentPreviewStyles];

  @property({ attribute: false }) api?: ApiClient;

  /** The latest `agent.proposal`; null before the first. */
  @property({ attribute: false }) proposal: ProposalView | null = null;

  /** The latest `agent.saved` (Claude saved a draft with its tool); null before any. */
  @property({ attribute: false }) saved: SavedAgentView | null = null;

  /** On narrow screens, whether the draft is unfolded. */
  @state() private expanded = false;
  /** Saved with the button here (the answer holds the webhook secret, once). */
  @state() private savedHere: SavedAgent | null = null;
  @state() private copy: 'idle' | 'copied' | 'failed' = 'idle';
  /** The draft the last save was for: its error is not shown with a newer draft. */
  @state() private attemptedSeq: number | null = null;

  private readonly i18n = new LocaleController(this);

  private readonly save = new Task(this, {
    autoRun: false,
    args: () => [this.api, this.proposal] as const,
    task: async ([api, proposal], { signal }): Promise<{ response: AgentResponse; seq: number }> => {
      if (!api || !proposal) throw new Error('nothing to save');
      return { response: await api.createAgent(proposal.draft, signal), seq: proposal.seq };
    },
    onComplete: ({ response, seq }) => {
      const { agent } = response.summary;
      this.savedHere = {
        agentId: agent.id,
        name: agent.name,
        afterSeq: seq + 0.5,
        webhookSecret: response.webhookSecret ?? null,
      };
      this.copy = 'idle';
    },
  });

  protected override willUpdate(changed: PropertyValues<this>): void {
    // The first draft unfolds the panel once, so the person sees it appear.
    if (changed.has('proposal') && this.proposal && !changed.get('proposal')) this.expanded = true;
  }

  override render() {
    const t = this.i18n.t.preview;
    const proposal = this.proposal;
    const latest = this.latestSaved();
    const savedCurrent = latest !== null && (proposal === null || latest.afterSeq > proposal.seq);
    const stateName = savedCurrent ? 'saved' : proposal ? 'draft' : 'empty';
    return html`<section
      class="panel"
      data-testid="agent-preview"
      data-state=${stateName}
      data-proposal-seq=${proposal?.seq ?? ''}
      aria-labelledby="preview-heading"
    >
      <div class="head">
        <h2 id="preview-heading">${t.title}</h2>
        <button
          class="small toggle"
          type="button"
          data-testid="preview-toggle"
          aria-expanded=${String(this.expanded)}
          aria-controls="preview-body"
          @click=${() => {
            this.expanded = !this.expanded;
          }}
        >
          ${this.expanded ? t.hide : t.show}
        </button>
      </div>
      ${
        !this.expanded && proposal
          ? html`<p class="folded-name" aria-hidden="true">${proposal.draft.name}</p>`
          : nothing
      }
      <div id="preview-body" class="body ${this.expanded ? '' : 'folded'}">
        ${proposal ? this.renderDraft(proposal) : this.renderEmpty()}
        ${this.renderSave(proposal, latest, savedCurrent)}
      </div>
    </section>`;
  }

  private renderEmpty() {
    const t = this.i18n.t.preview;
    return html`<div class="empty" data-testid="preview-empty">
      <p class="empty-title">${t.emptyTitle}</p>
      <p>${t.emptyBody}</p>
    </div>`;
  }

  private renderDraft(proposal: ProposalView) {
    const t = this.i18n.t.preview;
    const locale = this.i18n.locale;
    const { draft } = proposal;
    const scheduleTz = draft.schedule?.timeZone ?? null;
    const localTz = localTimeZone();
    const otherTz = scheduleTz !== null && scheduleTz !== localTz ? scheduleTz : null;
    return html`
      <div class="block">
        <h3 class="name" data-testid="preview-name">${draft.name}</h3>
        ${draft.description.trim() ? html`<p class="description" data-testid="preview-description">${draft.description}</p>` : nothing}
      </div>
      <div class="block">
        <h4>${t.schedule}</h4>
        <p data-testid="preview-schedule">${proposal.scheduleText[locale]}</p>
        ${
          proposal.nextRuns.length > 0
            ? html`<h5>${t.nextRuns}</h5>
                <ul class="runs" data-testid="preview-next-runs">
                  ${proposal.nextRuns.map(
                    (at) => html`<li data-testid="preview-next-run" data-at=${at}>
                      <time datetime=${new Date(at).toISOString()}>${formatRunTime(locale, at)}</time>
                      ${otherTz ? html`<span class="muted">${t.inZone(formatRunTime(locale, at, otherTz), otherTz)}</span>` : nothing}
                    </li>`,
                  )}
                </ul>
                <p class="muted small" data-testid="preview-time-zone">${t.timeZoneNote(localTz)}</p>`
            : html`<p class="muted small">${t.noNextRuns}</p>`
        }
      </div>
      ${
        proposal.steps.length > 0
          ? html`<div class="block">
              <h4>${t.steps}</h4>
              <ol class="steps" data-testid="preview-steps">
                ${proposal.steps.map((step) => html`<li data-testid="preview-step">${step}</li>`)}
              </ol>
            </div>`
          : nothing
      }
      <details class="block instructions">
        <summary>${t.instructions}</summary>
        <p class="pre" data-testid="preview-instructions">${draft.instructions}</p>
      </details>
      <div class="block">
        <h4>${t.limits}</h4>
        <dl class="facts" data-testid="preview-limits">
          <div><dt>${t.timeout}</dt><dd>${formatDurationMs(locale, draft.limits.timeoutMs)}</dd></div>
          <div><dt>${t.maxTurns}</dt><dd>${formatInteger(locale, draft.limits.maxTurns)}</dd></div>
          <div><dt>${t.maxUsd}</dt><dd>${formatCostUsd(locale, draft.limits.maxUsd)}</dd></div>
        </dl>
      </div>
      <div class="block">
        <h4>${t.notifications}</h4>
        <ul class="plain" data-testid="preview-notifications">
          <li>${draft.notifications.inApp ? t.inAppOn : t.inAppOff}</li>
          <li>
            ${
              draft.notifications.webhookUrl
                ? html`${t.webhook} <code class="url">${draft.notifications.webhookUrl}</code>`
                : t.noWebhook
            }
          </li>
        </ul>
      </div>
    `;
  }

  private renderSave(proposal: ProposalView | null, latest: SavedAgent | null, savedCurrent: boolean) {
    const t = this.i18n.t.preview;
    const saving = this.save.status === TaskStatus.PENDING;
    const error =
      this.save.status === TaskStatus.ERROR && this.attemptedSeq === (proposal?.seq ?? null)
        ? asApiError(this.save.error)
        : null;
    const issues = error ? validationIssues(error.details) : [];
    if (!proposal && !latest) return nothing;
    return html`<div class="save">
      ${
        latest
          ? html`<div class="saved ${savedCurrent ? 'current' : 'older'}" data-testid="preview-saved" data-agent-id=${latest.agentId} role="status">
              <span aria-hidden="true">${savedCurrent ? '✓' : 'ℹ'}</span>
              <span>
                ${savedCurrent ? t.savedAs(latest.name) : t.savedEarlier(latest.name)}
                <a href=${agentPath(latest.agentId)} data-testid="preview-agent-link">${t.openAgent}</a>
              </span>
            </div>`
          : nothing
      }
      ${latest?.webhookSecret ? this.renderSecret(latest.webhookSecret) : nothing}
      ${
        error
          ? html`<ap-error-banner
              testid="preview-save-error"
              .heading=${t.saveFailed}
              .message=${issues.length > 0 ? '' : errorMessage(this.i18n.t, error)}
              .code=${error.code}
            >
              ${
                issues.length > 0
                  ? html`<ul class="issues" data-testid="preview-save-issues">
                      ${issues.map((i) => html`<li>${i.path ? html`<code>${i.path}</code>: ` : nothing}${i.message}</li>`)}
                    </ul>`
                  : nothing
              }
            </ap-error-banner>`
          : nothing
      }
      ${
        proposal
          ? html`<button
              class="primary"
              type="button"
              data-testid="preview-save"
              ?disabled=${saving || savedCurrent || !this.api}
              @click=${this.onSave}
            >
              ${saving ? html`<span class="spinner" aria-hidden="true"></span>${t.saving}` : savedCurrent ? t.saved : t.save}
            </button>`
          : nothing
      }
    </div>`;
  }

  private renderSecret(secret: string) {
    const t = this.i18n.t.preview;
    return html`<div class="secret" data-testid="preview-webhook-secret">
      <p><strong>${t.secretTitle}</strong> ${t.secretNote}</p>
      <div class="secret-row">
        <code class="secret-value" data-testid="preview-webhook-secret-value">${secret}</code>
        <button class="small" type="button" @click=${() => this.copySecret(secret)}>
          ${this.copy === 'copied' ? t.copied : t.copy}
        </button>
      </div>
      ${this.copy === 'failed' ? html`<p class="muted small" role="status">${t.copyFailed}</p>` : nothing}
    </div>`;
  }

  /** The latest agent made from this session's drafts: Claude's save or ours, whichever came later. */
  private latestSaved(): SavedAgent | null {
    const claude: SavedAgent | null = this.saved
      ? { agentId: this.saved.agentId, name: this.saved.name, afterSeq: this.saved.seq, webhookSecret: null }
      : null;
    const here = this.savedHere;
    if (!claude) return here;
    if (!here) return claude;
    return here.afterSeq > claude.afterSeq ? here : claude;
  }

  private onSave(): void {
    this.attemptedSeq = this.proposal?.seq ?? null;
    void this.save.run();
  }

  private async copySecret(secret: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(secret);
      this.copy = 'copied';
    } catch (e) {
      // No clipboard here (plain http on a LAN address, or refused): the person copies it by hand.
      console.warn('Could not copy the webhook secret', e);
      this.copy = 'failed';
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-agent-preview': AgentPreview;
  }
}

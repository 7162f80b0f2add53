import type { Agent, MissedRunPolicy, UpdateAgentBody } from '@agent-platform/core/protocol';
import { AgentLimits } from '@agent-platform/core/protocol';
import { describeSchedule, nextRuns, scheduleIssues } from '@agent-platform/core/schedule';
import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { ApiError } from '../api/client.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { formatDateTime } from '../i18n/format.js';
import { errorMessage } from '../i18n/index.js';
import { agentEditFormStyles } from './agent-edit-form.styles.js';
import {
  type AgentDraft,
  draftFromAgent,
  type FieldErrors,
  fieldErrorsFrom,
  patchFromDraft,
} from './agent-form-model.js';
import './error-banner.js';
import { choiceStyles, sharedStyles } from './shared.styles.js';

/** Save these changes to the agent (PATCH). */
export class AgentSaveEvent extends Event {
  static readonly eventName = 'ap-agent-save';
  constructor(readonly body: UpdateAgentBody) {
    super(AgentSaveEvent.eventName, { bubbles: true, composed: true });
  }
}

const localTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

let zones: readonly string[] | null = null;
/** Every IANA time zone the browser knows, UTC included. */
function timeZones(): readonly string[] {
  if (!zones) {
    let known: string[] = [];
    try {
      known = Intl.supportedValuesOf('timeZone');
    } catch {
      // An older browser: the select then offers UTC and the agent's own zone.
    }
    zones = [...new Set(['UTC', ...known])];
  }
  return zones;
}

/**
 * The agent's settings as a form: name, description, instructions, schedule (cron, time zone, on
 * or off, missed-run policy; the schedule in words and its next runs as it is typed), limits per
 * run and notifications. Fields are checked here first, then by the server, whose refusals are
 * shown next to the field they name.
 *
 * @fires ap-agent-save - with the changed fields.
 */
@customElement('ap-agent-edit-form')
export class AgentEditForm extends LitElement {
  static override styles = [sharedStyles, choiceStyles, agentEditFormStyles];

  @property({ attribute: false }) agent?: Agent;
  @property({ type: Boolean }) saving = false;
  /** The last save's failure. */
  @property({ attribute: false }) error: ApiError | null = null;
  /** Goes up after each save that worked: the form then starts again from the saved agent. */
  @property({ type: Number }) revision = 0;

  @state() private draft: AgentDraft | null = null;
  @state() private clientErrors: FieldErrors = {};

  private readonly i18n = new LocaleController(this);

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!this.agent) return;
    const previous = changed.get('agent') as Agent | undefined;
    // Start again from the agent after a save, on first show, and when the agent changed elsewhere
    // (paused, say) while nothing was typed here; what was typed is never thrown away.
    if (!this.draft || changed.has('revision') || (previous && !this.isDirty(previous))) {
      this.draft = draftFromAgent(this.agent, localTimeZone());
      this.clientErrors = {};
    }
  }

  override render() {
    const agent = this.agent;
    const d = this.draft;
    if (!agent || !d) return nothing;
    const t = this.i18n.t;
    const f = t.agent.form;
    const errors = { ...(this.error ? fieldErrorsFrom(this.error) : {}), ...this.clientErrors };
    const dirty = this.isDirty(agent);
    return html`<form novalidate @submit=${this.onSubmit} data-testid="agent-edit-form">
      ${this.text('name', f.name, d.name, errors, { max: AgentLimits.nameChars, testid: 'agent-form-name' })}
      ${this.text('description', f.description, d.description, errors, {
        max: AgentLimits.descriptionChars,
        testid: 'agent-form-description',
        optional: true,
      })}
      <div class="field">
        <label for="instructions">${f.instructions}</label>
        <textarea
          id="instructions"
          rows="8"
          maxlength=${AgentLimits.instructionsChars}
          data-testid="agent-form-instructions"
          aria-describedby="instructions-hint${errors['instructions'] ? ' instructions-error' : ''}"
          aria-invalid=${errors['instructions'] ? 'true' : 'false'}
          .value=${d.instructions}
          @input=${(e: InputEvent) => this.set({ instructions: (e.target as HTMLTextAreaElement).value })}
        ></textarea>
        <span id="instructions-hint" class="hint">${f.instructionsHint}</span>
        ${this.fieldError('instructions', errors)}
      </div>

      ${this.renderSchedule(d, errors)}

      <fieldset>
        <legend>${f.limitsTitle}</legend>
        <p class="hint">${f.limitsHint}</p>
        <div class="row">
          ${this.number('limits.timeoutMs', f.timeoutMinutes, d.timeoutMinutes, errors, 'timeoutMinutes', '0.5')}
          ${this.number('limits.maxTurns', f.maxTurns, d.maxTurns, errors, 'maxTurns', '1')}
          ${this.number('limits.maxUsd', f.maxUsd, d.maxUsd, errors, 'maxUsd', '0.01')}
        </div>
      </fieldset>

      <fieldset>
        <legend>${f.notificationsTitle}</legend>
        <label class="check">
          <input
            type="checkbox"
            data-testid="agent-form-in-app"
            .checked=${d.inApp}
            @change=${(e: Event) => this.set({ inApp: (e.target as HTMLInputElement).checked })}
          />
          <span>${f.inApp}</span>
        </label>
        <div class="field">
          <label for="webhook">${f.webhookUrl}</label>
          <input
            id="webhook"
            type="url"
            inputmode="url"
            placeholder="https://…"
            maxlength=${AgentLimits.webhookUrlChars}
            data-testid="agent-form-webhook"
            aria-describedby="webhook-hint${errors['notifications.webhookUrl'] ? ' notifications.webhookUrl-error' : ''}"
            aria-invalid=${errors['notifications.webhookUrl'] ? 'true' : 'false'}
            .value=${d.webhookUrl}
            @input=${(e: InputEvent) => this.set({ webhookUrl: (e.target as HTMLInputElement).value })}
          />
          <span id="webhook-hint" class="hint"
            >${f.webhookHint}
            ${agent.notifications.webhookSecretLast4 ? f.webhookSecretLast4(agent.notifications.webhookSecretLast4) : nothing}</span
          >
          ${this.fieldError('notifications.webhookUrl', errors)}
        </div>
      </fieldset>

      ${
        this.error
          ? html`<ap-error-banner
              testid="agent-save-error"
              .heading=${f.saveFailed}
              .message=${errorMessage(t, this.error)}
              .code=${this.error.code}
            ></ap-error-banner>`
          : Object.keys(this.clientErrors).length > 0
            ? html`<p class="form-error" role="alert">${f.fixFields}</p>`
            : nothing
      }
      <div class="actions">
        <button
          type="button"
          data-testid="agent-form-reset"
          ?disabled=${!dirty || this.saving}
          @click=${() => {
            this.draft = draftFromAgent(agent, localTimeZone());
            this.clientErrors = {};
          }}
        >
          ${f.reset}
        </button>
        <button class="primary" type="submit" data-testid="agent-form-save" ?disabled=${!dirty || this.saving}>
          ${this.saving ? html`<span class="spinner" aria-hidden="true"></span>${f.saving}` : f.save}
        </button>
      </div>
    </form>`;
  }

  private renderSchedule(d: AgentDraft, errors: FieldErrors) {
    const f = this.i18n.t.agent.form;
    const zones = timeZones();
    return html`<fieldset>
      <legend>${f.scheduleTitle}</legend>
      <label class="check">
        <input
          type="checkbox"
          data-testid="agent-form-has-schedule"
          .checked=${d.hasSchedule}
          @change=${(e: Event) => this.set({ hasSchedule: (e.target as HTMLInputElement).checked })}
        />
        <span>${f.hasSchedule}</span>
      </label>
      ${
        d.hasSchedule
          ? html`<div class="row">
                <div class="field">
                  <label for="cron">${f.cron}</label>
                  <input
                    id="cron"
                    class="mono"
                    autocomplete="off"
                    spellcheck="false"
                    maxlength=${AgentLimits.cronChars}
                    data-testid="agent-form-cron"
                    aria-describedby="cron-hint schedule-preview${errors['schedule.cron'] ? ' schedule.cron-error' : ''}"
                    aria-invalid=${errors['schedule.cron'] ? 'true' : 'false'}
                    .value=${d.cron}
                    @input=${(e: InputEvent) => this.set({ cron: (e.target as HTMLInputElement).value })}
                  />
                  <span id="cron-hint" class="hint">${f.cronHint}</span>
                  ${this.fieldError('schedule.cron', errors)}
                </div>
                <div class="field">
                  <label for="zone">${f.timeZone}</label>
                  <select
                    id="zone"
                    data-testid="agent-form-time-zone"
                    aria-invalid=${errors['schedule.timeZone'] ? 'true' : 'false'}
                    aria-describedby=${errors['schedule.timeZone'] ? 'schedule.timeZone-error' : nothing}
                    @change=${(e: Event) => this.set({ timeZone: (e.target as HTMLSelectElement).value })}
                  >
                    ${zones.includes(d.timeZone) ? nothing : html`<option value=${d.timeZone} selected>${d.timeZone}</option>`}
                    ${zones.map((z) => html`<option value=${z} ?selected=${z === d.timeZone}>${z}</option>`)}
                  </select>
                  ${this.fieldError('schedule.timeZone', errors)}
                </div>
              </div>
              ${this.renderPreview(d, errors)}
              <label class="check">
                <input
                  type="checkbox"
                  data-testid="agent-form-enabled"
                  .checked=${d.enabled}
                  @change=${(e: Event) => this.set({ enabled: (e.target as HTMLInputElement).checked })}
                />
                <span>${f.enabled}</span>
              </label>
              <fieldset class="inner">
                <legend>${f.missedRun}</legend>
                <div class="choices">
                  ${(['skip', 'run-once'] as const satisfies readonly MissedRunPolicy[]).map(
                    (policy) => html`<label class="choice">
                      <input
                        type="radio"
                        name="missed"
                        value=${policy}
                        data-testid=${`agent-form-missed-${policy}`}
                        .checked=${d.missedRunPolicy === policy}
                        @change=${() => this.set({ missedRunPolicy: policy })}
                      />
                      <span>${f.missedRunPolicies[policy]}</span>
                    </label>`,
                  )}
                </div>
              </fieldset>
              <p class="hint">${f.overlap}</p>`
          : html`<p class="hint">${f.noSchedule}</p>`
      }
    </fieldset>`;
  }

  /** The schedule as typed, in words, with its next three runs; or what is wrong with it. */
  private renderPreview(d: AgentDraft, errors: FieldErrors) {
    const f = this.i18n.t.agent.form;
    const locale = this.i18n.locale;
    const schedule = { cron: d.cron, timeZone: d.timeZone };
    const issues = scheduleIssues(schedule);
    if (issues.length > 0) {
      // The fields already say it (the server named them): once is enough.
      if (errors['schedule.cron'] || errors['schedule.timeZone']) return nothing;
      return html`<p id="schedule-preview" class="preview invalid" data-testid="agent-form-schedule-preview">
        ${issues.map((i) => i.message).join('; ')}
      </p>`;
    }
    const upcoming = nextRuns(schedule, Date.now(), 3);
    return html`<div id="schedule-preview" class="preview" data-testid="agent-form-schedule-preview" aria-live="polite">
      <strong>${describeSchedule(schedule, locale)}</strong>
      ${
        upcoming.length > 0
          ? html`<span class="upcoming">${f.nextRuns(upcoming.map((at) => formatDateTime(locale, at)).join(' · '))}</span>`
          : nothing
      }
    </div>`;
  }

  private text(
    path: 'name' | 'description',
    label: string,
    value: string,
    errors: FieldErrors,
    opts: { max: number; testid: string; optional?: boolean },
  ) {
    const error = errors[path];
    return html`<div class="field">
      <label for=${path}>${label}</label>
      <input
        id=${path}
        maxlength=${opts.max}
        data-testid=${opts.testid}
        ?required=${!opts.optional}
        aria-invalid=${error ? 'true' : 'false'}
        aria-describedby=${error ? `${path}-error` : nothing}
        .value=${value}
        @input=${(e: InputEvent) => this.set({ [path]: (e.target as HTMLInputElement).value })}
      />
      ${this.fieldError(path, errors)}
    </div>`;
  }

  private number(
    path: string,
    label: string,
    value: string,
    errors: FieldErrors,
    key: 'timeoutMinutes' | 'maxTurns' | 'maxUsd',
    step: string,
  ) {
    const error = errors[path];
    return html`<div class="field">
      <label for=${key}>${label}</label>
      <input
        id=${key}
        type="number"
        inputmode="decimal"
        min="0"
        step=${step}
        data-testid=${`agent-form-${key}`}
        aria-invalid=${error ? 'true' : 'false'}
        aria-describedby=${error ? `${path}-error` : nothing}
        .value=${value}
        @input=${(e: InputEvent) => this.set({ [key]: (e.target as HTMLInputElement).value })}
      />
      ${this.fieldError(path, errors)}
    </div>`;
  }

  private fieldError(path: string, errors: FieldErrors) {
    const error = errors[path];
    return error
      ? html`<span id=${`${path}-error`} class="field-error" data-testid="agent-field-error" data-field=${path}>${error}</span>`
      : nothing;
  }

  private set(change: Partial<AgentDraft>): void {
    if (!this.draft) return;
    this.draft = { ...this.draft, ...change };
    // A field the person touched again is judged again at the next save.
    const next = { ...this.clientErrors };
    for (const key of Object.keys(change)) delete next[fieldPath[key as keyof AgentDraft] ?? key];
    this.clientErrors = next;
  }

  private isDirty(agent: Agent): boolean {
    if (!this.draft) return false;
    const result = patchFromDraft(this.draft, agent, this.i18n.t);
    return !result.ok || Object.keys(result.body).length > 0;
  }

  private onSubmit(e: SubmitEvent): void {
    e.preventDefault();
    if (!this.agent || !this.draft || this.saving) return;
    const result = patchFromDraft(this.draft, this.agent, this.i18n.t);
    if (!result.ok) {
      this.clientErrors = result.errors;
      return;
    }
    this.clientErrors = {};
    if (Object.keys(result.body).length > 0) this.dispatchEvent(new AgentSaveEvent(result.body));
  }
}

/** The request path each draft field is checked under. */
const fieldPath: Partial<Record<keyof AgentDraft, string>> = {
  cron: 'schedule.cron',
  timeZone: 'schedule.timeZone',
  timeoutMinutes: 'limits.timeoutMs',
  maxTurns: 'limits.maxTurns',
  maxUsd: 'limits.maxUsd',
  webhookUrl: 'notifications.webhookUrl',
};

declare global {
  interface HTMLElementTagNameMap {
    'ap-agent-edit-form': AgentEditForm;
  }
  interface HTMLElementEventMap {
    'ap-agent-save': AgentSaveEvent;
  }
}

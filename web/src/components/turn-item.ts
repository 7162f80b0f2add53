import { html } from 'lit';
import type { TurnItemView, TurnView } from '../controllers/conversation.js';
import './assistant-message.js';
import './tool-card.js';

/** One item of a turn, in a conversation or a run: Claude's text (streaming while the turn runs) or a tool card. */
export function renderTurnItem(item: TurnItemView, turn: TurnView) {
  if (item.kind === 'assistant') {
    return html`<ap-assistant-message
      .text=${item.text}
      ?streaming=${!item.complete && turn.state === 'running'}
    ></ap-assistant-message>`;
  }
  return html`<ap-tool-card .tool=${item}></ap-tool-card>`;
}

import type { Locator, Page } from 'playwright-core';

/** Page objects: the tests say what a person does; selectors live here. */
export class SessionsPage {
  constructor(readonly page: Page) {}

  newSessionButton(): Locator {
    return this.page.getByTestId('new-session');
  }

  async createSession(): Promise<WorkspacePage> {
    await this.newSessionButton().click();
    await this.page.waitForURL(/\/sessions\/[^/]+$/);
    return new WorkspacePage(this.page);
  }
}

export class WorkspacePage {
  constructor(readonly page: Page) {}

  async send(text: string): Promise<void> {
    await this.page.getByTestId('composer-input').fill(text);
    await this.page.getByTestId('composer-send').click();
  }

  userMessages(): Locator {
    return this.page.getByTestId('user-message');
  }

  assistantMessages(): Locator {
    return this.page.getByTestId('assistant-message');
  }

  toolCards(): Locator {
    return this.page.getByTestId('tool-card');
  }

  statusLine(): Locator {
    return this.page.getByTestId('status-line');
  }

  turnUsage(): Locator {
    return this.page.getByTestId('turn-usage');
  }

  connection(): Locator {
    return this.page.getByTestId('conn-indicator');
  }

  /** Opens a tool card (a <details>) and returns its name and output. */
  async toolCard(index: number): Promise<{ name: string; output: string }> {
    const card = this.toolCards().nth(index);
    if ((await card.getAttribute('open')) === null) await card.locator('summary').first().click();
    return {
      name: (await card.getByTestId('tool-name').innerText()).trim(),
      output: (await card.getByTestId('tool-output').innerText()).trim(),
    };
  }
}

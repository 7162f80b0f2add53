import { UpdateMeBody } from '@agent-platform/core/protocol';
import { describe, expect, it } from 'vitest';
import { needsOnboarding, onboardingBody, skippedOnboarding } from './onboarding-answers.js';

describe('first-run answers', () => {
  it('saves the answers given and the language', () => {
    const body = onboardingBody({ automate: '  weekly sales report  ', role: 'business', locale: 'ko' });
    expect(body).toEqual({ locale: 'ko', onboarding: { automate: 'weekly sales report', role: 'business' } });
    expect(UpdateMeBody.parse(body)).toEqual(body);
  });

  it('saves the same as Skip when nothing was answered, so the card does not come back', () => {
    const body = onboardingBody({ automate: '   ', role: null, locale: 'en' });
    expect(body).toEqual({ locale: 'en', onboarding: { skipped: 'yes' } });
    expect(skippedOnboarding).toEqual({ onboarding: { skipped: 'yes' } });
    expect(UpdateMeBody.parse(skippedOnboarding)).toEqual(skippedOnboarding);
  });

  it('keeps an answer within the schema’s 500 characters', () => {
    const body = onboardingBody({ automate: 'x'.repeat(600), role: null, locale: 'en' });
    expect(body.onboarding?.['automate']).toHaveLength(500);
    expect(UpdateMeBody.safeParse(body).success).toBe(true);
  });

  it('is needed only while nothing was saved', () => {
    expect(needsOnboarding({ onboarding: {} })).toBe(true);
    expect(needsOnboarding({ onboarding: { skipped: 'yes' } })).toBe(false);
    expect(needsOnboarding({ onboarding: { role: 'research' } })).toBe(false);
  });
});

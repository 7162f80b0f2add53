import type { UpdateMeBody, User } from '@agent-platform/core/protocol';
import type { Locale } from '../i18n/index.js';

/** The role choices of the first-run card; the stored answer is the id. */
export const OnboardingRoles = ['marketing', 'research', 'analysis', 'business', 'other'] as const;
export type OnboardingRole = (typeof OnboardingRoles)[number];

/** An answer's longest text (OnboardingAnswers allows 500 characters). */
export const onboardingAnswerMaxChars = 500;

/** What "Skip" saves: an answer, so the card is not shown again. */
export const skippedOnboarding = { onboarding: { skipped: 'yes' } } satisfies UpdateMeBody;

/** The first-run card shows until the person answered or skipped it once. */
export const needsOnboarding = (user: Pick<User, 'onboarding'>): boolean => Object.keys(user.onboarding).length === 0;

/**
 * What "Continue" saves: the language, and the answers given (question ids `automate`, `role`).
 * With no answer at all it saves the same as Skip, so the card still goes away for good.
 */
export function onboardingBody(input: { automate: string; role: OnboardingRole | null; locale: Locale }): UpdateMeBody {
  const answers: Record<string, string> = {};
  const automate = input.automate.trim().slice(0, onboardingAnswerMaxChars);
  if (automate) answers['automate'] = automate;
  if (input.role) answers['role'] = input.role;
  return {
    locale: input.locale,
    onboarding: Object.keys(answers).length > 0 ? answers : { ...skippedOnboarding.onboarding },
  };
}

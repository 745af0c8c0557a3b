import type { CDPSession, Page } from '@playwright/test';
import {
  createUserWithPassword,
  expect,
  expectPath,
  h1,
  notice,
  passwordField,
  signIn,
  signInAsAdmin,
  submitSignIn,
  test,
  textbox,
} from './helpers';

/** Chromium's virtual WebAuthn authenticator (DevTools protocol), attached to `page`. */
async function virtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; id: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, id: authenticatorId };
}

async function signOut(page: Page): Promise<void> {
  await page.locator('details.user-menu > summary').click();
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expectPath(page, '/login');
}

test.describe('passkeys', () => {
  test('a person adds a passkey, signs in with it, and removes it', async ({ page, isolatedPage }, testInfo) => {
    test.skip(testInfo.project.name === 'nojs', 'WebAuthn runs in the browser; the no-JavaScript page is checked below');
    await signInAsAdmin(page);
    const user = await createUserWithPassword(page, 'Passkey User');

    const own = await isolatedPage();
    const authenticator = await virtualAuthenticator(own);
    await signIn(own, user.email, user.password);
    await own.goto('/security');
    await expect(own.getByText('No passkeys yet.')).toBeVisible();

    // A name is required; nothing is asked of the authenticator without one.
    await own.getByRole('button', { name: 'Add a passkey' }).click();
    await expect(own.locator('#passkey-error')).toContainText('Name the passkey');

    await textbox(own, 'Name for the new passkey').fill('Test laptop');
    await own.getByRole('button', { name: 'Add a passkey' }).click();
    await expect(notice(own, 'Passkey “Test laptop” added.')).toBeVisible();
    // The first factor comes with recovery codes, shown once.
    await expect(own.locator('#recovery-codes li')).toHaveCount(10);
    await expect(own.locator('#passkeys')).toContainText('Test laptop');
    await expect(own.locator('#passkeys')).toContainText('Never');
    const { credentials } = await authenticator.cdp.send('WebAuthn.getCredentials', {
      authenticatorId: authenticator.id,
    });
    expect(credentials).toHaveLength(1);

    // The password now leads to the second step, where the passkey signs in.
    await signOut(own);
    await submitSignIn(own, user.email, user.password);
    await expectPath(own, '/login/mfa');
    await expect(h1(own)).toHaveText('Second step');
    await own.getByRole('button', { name: 'Use a passkey' }).click();
    await expectPath(own, '/');
    await expect(h1(own)).toHaveText(/^Welcome/);
    await own.goto('/security');
    await expect(own.locator('#passkeys')).not.toContainText('Never');

    // Removing it needs the password.
    await passwordField(own, 'Your password').fill('not-my-password-at-all');
    await own.getByRole('button', { name: 'Remove passkey' }).click();
    await expect(own.getByText('That is not your password.')).toBeVisible();
    await passwordField(own, 'Your password').fill(user.password);
    await own.getByRole('button', { name: 'Remove passkey' }).click();
    await expect(notice(own, 'Passkey “Test laptop” removed.')).toBeVisible();
    await expect(own.getByText('No passkeys yet.')).toBeVisible();

    // With no factor left, the password alone signs in again.
    await signOut(own);
    await submitSignIn(own, user.email, user.password);
    await expectPath(own, '/');
  });

  test('without JavaScript the security page says passkeys need it', async ({ page }, testInfo) => {
    test.skip(testInfo.project.name === 'js', 'only meaningful with JavaScript off');
    await signInAsAdmin(page);
    await page.goto('/security');
    await expect(page.getByText('Adding a passkey needs JavaScript')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Add a passkey' })).toBeDisabled();
  });
});

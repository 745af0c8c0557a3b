import { execFileSync } from 'node:child_process';
import {
  createUserWithPassword,
  expect,
  expectPath,
  h1,
  notice,
  signIn,
  signInAsAdmin,
  submitSignIn,
  test,
  textbox,
} from './helpers';

/** A TOTP code from the real `oathtool`, `offsetSeconds` from now. */
function oathtool(secret: string, offsetSeconds = 0): string {
  const at = new Date(Date.now() + offsetSeconds * 1000).toISOString().replace('T', ' ').replace(/\..*$/, ' UTC');
  return execFileSync('oathtool', ['--totp', '-b', '--now', at, secret]).toString().trim();
}

test.describe('second factor', () => {
  test('a person sets up an authenticator app, then signs in with a code from it', async ({ page, isolatedPage }) => {
    await signInAsAdmin(page);
    const user = await createUserWithPassword(page, 'Totp User');

    const own = await isolatedPage();
    await signIn(own, user.email, user.password);
    await own.locator('details.user-menu > summary').click();
    await own.getByRole('link', { name: 'Security', exact: true }).click();
    await expectPath(own, '/security');
    await own.getByRole('button', { name: 'Set up an authenticator app' }).click();
    await expect(own.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible();
    const secret = (await own.locator('#totp-secret').innerText()).trim();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);

    // A wrong code first: refused, and the setup waits.
    await textbox(own, 'Code from the app').fill('000000');
    await own.getByRole('button', { name: 'Turn on', exact: true }).click();
    await expect(own.getByText('That code is not right.', { exact: false })).toBeVisible();

    await textbox(own, 'Code from the app').fill(oathtool(secret));
    await own.getByRole('button', { name: 'Turn on', exact: true }).click();
    await expect(notice(own, 'Your authenticator app is on.')).toBeVisible();
    await expect(own.locator('#recovery-codes li')).toHaveCount(10);
    const recovery = (await own.locator('#recovery-codes li').first().innerText()).trim();
    // Shown once only.
    await own.reload();
    await expect(own.locator('#recovery-codes')).toHaveCount(0);
    await expect(own.getByText('10 of 10 left.')).toBeVisible();

    // Sign out; the password now leads to the second step.
    await own.locator('details.user-menu > summary').click();
    await own.getByRole('button', { name: 'Sign out', exact: true }).click();
    await expectPath(own, '/login');
    await submitSignIn(own, user.email, user.password);
    await expectPath(own, '/login/mfa');
    await expect(h1(own)).toHaveText('Second step');
    await own.goto('/');
    await expectPath(own, '/login');

    // The step's code was spent when the app was turned on: the next one signs in.
    await own.goto('/login/mfa');
    await textbox(own, 'Code').fill(oathtool(secret, 30));
    await own.getByRole('button', { name: 'Verify', exact: true }).click();
    await expectPath(own, '/');
    await expect(h1(own)).toHaveText(/^Welcome/);

    // A recovery code works once.
    await own.locator('details.user-menu > summary').click();
    await own.getByRole('button', { name: 'Sign out', exact: true }).click();
    await submitSignIn(own, user.email, user.password);
    await expectPath(own, '/login/mfa');
    await textbox(own, 'Code').fill(recovery);
    await own.getByRole('button', { name: 'Verify', exact: true }).click();
    await expectPath(own, '/');
    await own.goto('/security');
    await expect(own.getByText('9 of 10 left.')).toBeVisible();
  });
});

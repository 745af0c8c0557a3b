import {
  ADMIN,
  createUserWithPassword,
  expect,
  expectPath,
  h1,
  passwordField,
  signInAsAdmin,
  submitSignIn,
  test,
  textbox,
  uniqueEmail,
} from './helpers';

const INCORRECT = 'The email or password is incorrect.';

test.describe('signing in', () => {
  test('the administrator signs in and lands on the dashboard', async ({ page, javaScriptEnabled }) => {
    // With JavaScript on, the page must really load the app's WebAssembly, or the `js` project
    // would silently test the same thing as `nojs`.
    const wasm = javaScriptEnabled
      ? page.waitForResponse((r) => /\/pkg\/[^?]*\.wasm(\?|$)/.test(r.url()))
      : undefined;
    await page.goto('/login');
    if (wasm) expect((await wasm).status(), 'the wasm bundle loads').toBe(200);
    await expect(h1(page)).toHaveText('Sign in');
    // The test server holds two organisations, so the form asks which one (and names none).
    await textbox(page, 'Organisation').fill('e2e');
    await textbox(page, 'Email').fill(ADMIN.email);
    await passwordField(page, 'Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();

    await expectPath(page, '/');
    await expect(h1(page)).toHaveText('Dashboard');
    await expect(page.locator('details.user-menu > summary')).toContainText(ADMIN.name);
  });

  test('a wrong password is refused and the typed email is kept', async ({ page }) => {
    const typed = ADMIN.email;
    await submitSignIn(page, typed, 'not-the-password-at-all');

    await expect(page.getByText(INCORRECT, { exact: true })).toBeVisible();
    await expectPath(page, '/login');
    await expect(textbox(page, 'Email')).toHaveValue(typed);
    await expect(passwordField(page, 'Password')).toHaveValue('');

    // Not signed in: the console still sends us to the sign-in page.
    await page.goto('/');
    await expectPath(page, '/login');
  });

  test('an unknown email gets the same answer as a wrong password', async ({ page }) => {
    const email = uniqueEmail('nobody');
    await submitSignIn(page, email, 'whatever-password-123');

    await expect(page.getByText(INCORRECT, { exact: true })).toBeVisible();
    await expect(textbox(page, 'Email')).toHaveValue(email);
  });

  test('five wrong passwords lock the account, even against the right password', async ({ page, isolatedPage }) => {
    test.slow(); // Several password hashes in a debug build.
    await signInAsAdmin(page);
    const user = await createUserWithPassword(page, 'Throttle');

    const attempt = await isolatedPage();
    for (let i = 1; i <= 5; i++) {
      await submitSignIn(attempt, user.email, `wrong-password-${i}-xyz`);
      await expect(attempt.getByText(INCORRECT, { exact: true }), `attempt ${i}`).toBeVisible();
      await expect(textbox(attempt, 'Email')).toHaveValue(user.email);
    }

    await submitSignIn(attempt, user.email, user.password);
    await expect(attempt.getByText(/Too many failed sign-in attempts/)).toBeVisible();
    await expectPath(attempt, '/login');

    // Still locked out: the console is not reachable.
    await attempt.goto('/');
    await expectPath(attempt, '/login');
  });
});

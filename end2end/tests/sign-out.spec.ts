import { createUserWithPassword, expect, expectPath, h1, signIn, signInAsAdmin, test } from './helpers';

test.describe('signing out', () => {
  test('signing out from the account menu ends the session', async ({ page, isolatedPage }) => {
    await signInAsAdmin(page);
    const user = await createUserWithPassword(page, 'Leaver');

    const own = await isolatedPage();
    await signIn(own, user.email, user.password);
    await expect(h1(own)).toHaveText(/^Welcome/);

    const menu = own.locator('details.user-menu');
    const summary = menu.locator('summary');
    await expect(summary).toContainText(user.name);
    await summary.click();
    await expect(menu).toHaveAttribute('open', '');
    await expect(menu.getByRole('link', { name: 'Your profile' })).toBeVisible();
    await menu.getByRole('button', { name: 'Sign out', exact: true }).click();

    await expectPath(own, '/login');
    await expect(own).toHaveURL(/[?&]signed_out=1/);
    await expect(own.getByText('You are signed out.', { exact: true })).toBeVisible();

    await own.goto('/');
    await expectPath(own, '/login');
    await expect(own.getByText('You are signed out.', { exact: true })).toHaveCount(0);

    // The administrator's own session (another browser) is untouched.
    await page.goto('/');
    await expect(h1(page)).toHaveText('Dashboard');
  });

  test('the administrator can sign out too', async ({ page }) => {
    await signInAsAdmin(page);
    await page.locator('details.user-menu > summary').click();
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await expect(page.getByText('You are signed out.', { exact: true })).toBeVisible();
    await page.goto('/people');
    await expectPath(page, '/login');
  });
});

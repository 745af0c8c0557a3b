import {
  createUserWithPassword,
  expect,
  h1,
  notice,
  signInAsAdmin,
  submitSignIn,
  test,
  textbox,
  uniqueTag,
} from './helpers';

test.describe('audit operations', () => {
  test('failed sign-ins raise an alert that an administrator sees and acknowledges', async ({
    page,
    isolatedPage,
  }) => {
    await signInAsAdmin(page);
    const victim = await createUserWithPassword(page, 'Alerted');

    // Someone guesses the password ten times (locked after five; every attempt is recorded).
    const attacker = await isolatedPage();
    for (let i = 0; i < 10; i++) {
      await submitSignIn(attacker, victim.email, `wrong guess ${i}`);
    }

    // The alert rules run every second in the background.
    const row = page.locator('tbody tr', { hasText: victim.email });
    await expect(async () => {
      await page.goto('/alerts');
      await expect(row).toHaveCount(1, { timeout: 1_000 });
    }).toPass({ timeout: 30_000 });
    await expect(h1(page)).toHaveText('Alerts');
    await expect(row).toContainText('Many failed sign-ins for one account');
    await expect(row).toContainText(`10 failed sign-ins for ${victim.email}`);

    // The event behind it opens from the row.
    await row.getByRole('link', { name: /that raised it/ }).click();
    await expect(h1(page)).toHaveText(/^Event \d+$/);
    await expect(page.locator('main')).toContainText('auth.sign_in');
    await page.goBack();

    await row.getByRole('button', { name: /^Acknowledge alert/ }).click();
    await expect(notice(page, '1 alert acknowledged.')).toBeVisible();
    await expect(page.locator('tbody tr', { hasText: victim.email })).toHaveCount(0);
    await page.getByRole('link', { name: 'All', exact: true }).click();
    await expect(page.locator('tbody tr', { hasText: victim.email })).toContainText('Acknowledged');

    // The dashboard draws its charts on the server.
    await page.goto('/');
    await expect(page.getByRole('heading', { name: /^Open alerts/ })).toBeVisible();
    await expect(page.getByRole('img', { name: /Audit events per day/ })).toBeVisible();
    await expect(page.getByRole('img', { name: /sign-ins per day/ })).toBeVisible();
  });

  test('an administrator signs a checkpoint, adds a SIEM webhook and deletes it', async ({ page }) => {
    await signInAsAdmin(page);
    await page.goto('/audit/integrity');
    await page.getByRole('button', { name: 'Sign a checkpoint now' }).click();
    await expect(notice(page, /^Checkpoint signed at event \d+\.$/)).toBeVisible();
    await expect(page.locator('section', { hasText: 'Signed checkpoints' }).locator('tbody tr').first()).toContainText(
      'Valid',
    );
    await expect(page.getByRole('link', { name: 'Export checkpoints (JSON)' })).toBeVisible();

    await page.goto('/audit/settings');
    await expect(h1(page)).toHaveText('Audit settings');
    const name = `SIEM ${uniqueTag()}`;
    // A clear-text address is refused, and what was typed stays.
    await textbox(page, 'Name').fill(name);
    await textbox(page, 'Receiver address').fill('http://siem.example.com/in');
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await expect(page.getByText('Use https')).toBeVisible();
    await expect(textbox(page, 'Name')).toHaveValue(name);

    await textbox(page, 'Receiver address').fill('https://siem.example.com/castellan');
    await page.getByLabel('Send', { exact: true }).selectOption('alerts');
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await expect(notice(page, /Webhook added/)).toBeVisible();
    await expect(page.locator('#webhook-secret')).toHaveText(/^[A-Za-z0-9_-]{32,}$/);
    const row = page.locator('tbody tr', { hasText: name });
    await expect(row).toContainText('Alerts only');

    await row.getByRole('link', { name: `Delete ${name}` }).click();
    await expect(h1(page)).toHaveText(`Delete the webhook ${name}?`);
    await page.getByRole('button', { name: 'Delete webhook' }).click();
    await expect(notice(page, 'Webhook deleted.')).toBeVisible();
    await expect(page.locator('tbody tr', { hasText: name })).toHaveCount(0);
  });
});

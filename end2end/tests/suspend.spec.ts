import {
  createPerson,
  createUserWithPassword,
  expect,
  expectPath,
  h1,
  notice,
  signIn,
  signInAsAdmin,
  submitSignIn,
  test,
  uniqueEmail,
  uniqueTag,
} from './helpers';

test.describe('suspending people', () => {
  test('suspending a person ends their session at once', async ({ page, isolatedPage }) => {
    await signInAsAdmin(page);
    const user = await createUserWithPassword(page, 'Target');

    // The person signs in in their own browser.
    const theirs = await isolatedPage();
    await signIn(theirs, user.email, user.password);
    await expect(h1(theirs)).toHaveText(/^Welcome/);

    // The administrator suspends them from their page, through the confirmation page.
    await page.goto(user.path);
    await expect(h1(page)).toContainText(user.name);
    await expect(h1(page)).toContainText('Active');
    await page.getByRole('link', { name: 'Suspend…', exact: true }).click();
    await expectPath(page, '/people/suspend');
    await expect(page).toHaveURL(new RegExp(`[?&]id=${user.id}(&|$)`));
    await expect(page.getByText(user.email)).toBeVisible();
    await expect(page.getByRole('link', { name: 'Cancel', exact: true })).toBeVisible();
    await page.getByRole('button', { name: 'Suspend 1 person', exact: true }).click();

    await expect(notice(page, '1 person was suspended and signed out.')).toBeVisible();
    await expectPath(page, user.path);
    await expect(h1(page)).toContainText('Suspended');
    await expect(page.getByRole('button', { name: 'Reactivate', exact: true })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Suspend…' })).toHaveCount(0);

    // Their next request finds the session gone.
    await theirs.goto('/');
    await expectPath(theirs, '/login');

    // And they cannot sign in again, even with the right password.
    await submitSignIn(theirs, user.email, user.password);
    await expect(theirs.getByRole('alert')).toBeVisible();
    await expectPath(theirs, '/login');
  });

  test('cancelling the confirmation suspends nobody', async ({ page }) => {
    await signInAsAdmin(page);
    const { path } = await createPerson(page, { name: `Stayer ${uniqueTag()}`, email: uniqueEmail('stayer') });

    await page.getByRole('link', { name: 'Suspend…', exact: true }).click();
    await expect(page.getByRole('button', { name: 'Suspend 1 person', exact: true })).toBeVisible();
    await page.getByRole('link', { name: 'Cancel', exact: true }).click();
    await expectPath(page, '/people');

    await page.goto(path);
    await expect(h1(page)).toContainText('Active');
  });

  test('several people are suspended from the list at once', async ({ page }) => {
    await signInAsAdmin(page);
    const prefix = `Bulk${uniqueTag()}`;
    const first = { name: `${prefix} Alpha`, email: uniqueEmail('bulk-a') };
    const second = { name: `${prefix} Beta`, email: uniqueEmail('bulk-b') };
    await createPerson(page, first);
    await createPerson(page, second);

    await page.goto(`/people?q=${encodeURIComponent(prefix)}`);
    await expect(page.getByRole('checkbox')).toHaveCount(2);
    await page.getByRole('checkbox', { name: `Select ${first.name}`, exact: true }).check();
    await page.getByRole('checkbox', { name: `Select ${second.name}`, exact: true }).check();
    await page.getByRole('button', { name: 'Suspend selected…', exact: true }).click();

    await expectPath(page, '/people/suspend');
    await expect(page.getByText(first.email)).toBeVisible();
    await expect(page.getByText(second.email)).toBeVisible();
    await page.getByRole('button', { name: 'Suspend 2 people', exact: true }).click();

    await expect(notice(page, '2 people were suspended and signed out.')).toBeVisible();

    await page.goto(`/people?q=${encodeURIComponent(prefix)}`);
    const rows = page.locator('tbody tr');
    await expect(rows).toHaveCount(2);
    for (const person of [first, second]) {
      await expect(rows.filter({ hasText: person.email })).toContainText('Suspended');
    }
  });

  test('the list search finds people by the start of their name', async ({ page }) => {
    await signInAsAdmin(page);
    const prefix = `Find${uniqueTag()}`;
    const person = { name: `${prefix} Person`, email: uniqueEmail('find') };
    await createPerson(page, person);

    await page.goto('/people');
    await page.getByRole('searchbox', { name: 'Search' }).fill(prefix);
    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`[?&]q=${prefix}`));
    await expect(page.getByRole('link', { name: person.name, exact: true })).toBeVisible();
    await expect(page.getByRole('checkbox')).toHaveCount(1);
  });
});

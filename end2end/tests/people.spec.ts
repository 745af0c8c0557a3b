import {
  createPerson,
  expect,
  expectPath,
  fillPersonForm,
  h1,
  notice,
  signInAsAdmin,
  test,
  textbox,
  uniqueEmail,
  uniqueTag,
} from './helpers';

const DUPLICATE = 'Someone in your organisation already has this email.';

test.describe('adding people', () => {
  test.beforeEach(async ({ page }) => {
    await signInAsAdmin(page);
  });

  test('the People list links to the Add person form', async ({ page }) => {
    await page.goto('/people');
    await expect(h1(page)).toHaveText('People');
    await page.getByRole('link', { name: 'Add person', exact: true }).click();
    await expectPath(page, '/people/new');
    await expect(h1(page)).toHaveText('Add person');
    for (const label of ['Name', 'Email', 'Department', 'Job title', 'Product lines', "Manager's email"]) {
      await expect(textbox(page, label), label).toBeVisible();
    }
    await expect(page.getByLabel('Region')).toBeVisible();
    await expect(page.getByLabel('Employment')).toBeVisible();
    await expect(page.getByLabel('Initial password')).toBeVisible();
  });

  test('adding a person shows their page with a notice', async ({ page }) => {
    const name = `Ada Lovelace ${uniqueTag()}`;
    const email = uniqueEmail('ada');
    await page.goto('/people/new');
    await fillPersonForm(page, { name, email, department: 'Engineering', jobTitle: 'Analyst' });
    await page.getByLabel('Region').selectOption('EMEA');
    await page.getByLabel('Employment').selectOption({ label: 'Contractor' });
    await page.getByRole('button', { name: 'Add person', exact: true }).click();

    await expect(page).toHaveURL(/\/people\/\d+$/);
    await expect(notice(page, `${name} was added.`)).toBeVisible();
    await expect(h1(page)).toContainText(name);
    await expect(h1(page)).toContainText('Active');
    await expect(page.getByText(email, { exact: true }).first()).toBeVisible();
    await expect(page.getByRole('link', { name: 'Suspend…' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Save changes' })).toBeVisible();
    // The edit form starts from what was stored.
    await expect(textbox(page, 'Department')).toHaveValue('Engineering');
    await expect(page.getByLabel('Region')).toHaveValue('EMEA');

    // The notice is shown once.
    await page.reload();
    await expect(h1(page)).toContainText(name);
    await expect(notice(page, `${name} was added.`)).toHaveCount(0);
  });

  test('a duplicate email is refused and what was typed is kept', async ({ page }) => {
    const email = uniqueEmail('twin');
    await createPerson(page, { name: `First Twin ${uniqueTag()}`, email });

    const secondName = `Second Twin ${uniqueTag()}`;
    await page.goto('/people/new');
    await fillPersonForm(page, { name: secondName, email, department: 'Finance' });
    await page.getByRole('button', { name: 'Add person', exact: true }).click();

    await expect(page.getByText(DUPLICATE, { exact: true })).toBeVisible();
    await expectPath(page, '/people/new');
    await expect(textbox(page, 'Name')).toHaveValue(secondName);
    await expect(textbox(page, 'Email')).toHaveValue(email);
    await expect(textbox(page, 'Department')).toHaveValue('Finance');
  });

  test('validation errors appear next to the fields and keep what was typed', async ({ page }) => {
    await page.goto('/people/new');
    await fillPersonForm(page, { name: '', email: 'not-an-email', department: 'Sales', jobTitle: 'Lead' });
    await page.getByRole('button', { name: 'Add person', exact: true }).click();

    await expect(textbox(page, 'Email')).toHaveAttribute('aria-invalid', 'true');
    await expectPath(page, '/people/new');
    await expect(textbox(page, 'Name')).toHaveAttribute('aria-invalid', 'true');
    // The message is tied to its field for screen readers.
    await expect(textbox(page, 'Name')).toHaveAccessibleDescription(/\S/);
    await expect(textbox(page, 'Email')).toHaveAccessibleDescription(/\S/);
    await expect(textbox(page, 'Email')).toHaveValue('not-an-email');
    await expect(textbox(page, 'Department')).toHaveValue('Sales');
    await expect(textbox(page, 'Job title')).toHaveValue('Lead');
  });

  test('HTML in a name is shown as text, never as markup', async ({ page }) => {
    const tag = uniqueTag();
    const name = `<b>Zoë O'Brien & "Co"</b> ${tag}`;
    const email = uniqueEmail('zoe');
    const { id } = await createPerson(page, { name, email });

    await expect(notice(page, `${name} was added.`)).toHaveText(`${name} was added.`);
    await expect(h1(page)).toContainText(name);
    expect(await h1(page).textContent()).toContain(name);
    await expect(page.locator('h1 b, [role="status"] b')).toHaveCount(0);
    await expect(textbox(page, 'Name')).toHaveValue(name);

    // And in the list (searched by email prefix), found by its literal text.
    await page.goto(`/people?q=${encodeURIComponent(email.split('@')[0])}`);
    const link = page.getByRole('link', { name, exact: true });
    await expect(link).toBeVisible();
    await expect(link).toHaveAttribute('href', `/people/${id}`);
    await expect(page.getByRole('checkbox', { name: `Select ${name}`, exact: true })).toBeVisible();
    await expect(page.locator('table b')).toHaveCount(0);
  });
});

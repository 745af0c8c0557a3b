import {
  DEMO_ADMIN,
  expect,
  expectPath,
  fillPersonForm,
  h1,
  notice,
  signIn,
  test,
  textbox,
  uniqueEmail,
  uniqueTag,
  USER_PASSWORD,
  type NewPerson,
} from './helpers';
import type { Locator, Page } from '@playwright/test';

/**
 * Role-based access in the demo organisation: a role built in the matrix, given to a team with
 * a region scope, and what a member of that team can then see: pages and records.
 */

const REFUSED = 'You do not have access to this page';

/** Ticket list columns: #, Subject, Status, Priority, Region, Product line, Channel. */
const TICKET_REGION_COLUMN = 5;
/** Customer list columns: Name, Email, Phone, Region, Product line, Segment. */
const CUSTOMER_EMAIL_COLUMN = 2;
const CUSTOMER_PHONE_COLUMN = 3;
const CUSTOMER_REGION_COLUMN = 4;

async function signInToNorthwind(page: Page, email: string, password: string): Promise<void> {
  await signIn(page, email, password, DEMO_ADMIN.org);
}

/** Adds a person in a region from the Add person form and waits for their page. */
async function addPersonInRegion(page: Page, person: NewPerson, region: string): Promise<void> {
  await page.goto('/people/new');
  await fillPersonForm(page, person);
  await page.getByLabel('Region').selectOption(region);
  await page.getByRole('button', { name: 'Add person', exact: true }).click();
  await expect(page).toHaveURL(/\/people\/\d+$/);
  await expect(notice(page, `${person.name} was added.`)).toBeVisible();
  await expect(page.getByLabel('Region')).toHaveValue(region);
}

/** Creates a team from the "New team…" disclosure; returns its page path. */
async function createTeam(page: Page, name: string): Promise<string> {
  await page.goto('/teams');
  await page.locator('summary', { hasText: 'New team…' }).click();
  await textbox(page, 'Name').fill(name);
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(page).toHaveURL(/\/teams\/\d+$/);
  await expect(notice(page, `${name} was created.`)).toBeVisible();
  await expect(h1(page)).toHaveText(name);
  return new URL(page.url()).pathname;
}

/** On a team or group page, adds people by email. */
async function addMembers(page: Page, emails: string[]): Promise<void> {
  await page.getByLabel('Add people').fill(emails.join('\n'));
  await page.getByRole('button', { name: 'Add members', exact: true }).click();
  const added = emails.length === 1 ? '1 member added.' : `${emails.length} members added.`;
  await expect(notice(page, added)).toBeVisible();
}

/** A permission's checkbox in the role matrix, e.g. `ticket.view`. */
function permissionBox(page: Page, code: string): Locator {
  return page.locator(`#perm-${code.replace(/\./g, '-')}`);
}

/** Creates a role from /roles/new with these permissions and included roles; returns its id. */
async function createRole(
  page: Page,
  name: string,
  permissions: string[],
  includes: string[] = [],
): Promise<string> {
  await page.goto('/roles/new');
  await expect(h1(page)).toHaveText('New role');
  await textbox(page, 'Name').fill(name);
  for (const code of permissions) await permissionBox(page, code).check();
  for (const id of includes) await page.locator(`#include-${id}`).check();
  await page.getByRole('button', { name: 'Create role', exact: true }).click();
  await expect(page).toHaveURL(/\/roles\/\d+$/);
  await expect(notice(page, `Role ${name} was created.`)).toBeVisible();
  await expect(h1(page)).toHaveText(name);
  return new URL(page.url()).pathname.split('/').pop()!;
}

/** On a role page, gives the role to a team, limited to the given regions. */
async function giveRoleToTeam(page: Page, team: string, regions: string[]): Promise<void> {
  await page.locator('summary', { hasText: 'Give a role…' }).click();
  await page.locator('#assign-kind').selectOption('team');
  await page.locator('#assign-subject').fill(team);
  for (const region of regions) await page.locator(`#scope-regions-${region}`).check();
  await page.getByRole('button', { name: 'Give role', exact: true }).click();
  await expect(notice(page, 'Role given.')).toBeVisible();
}

/** The link texts of the main navigation. */
async function mainNavigation(page: Page): Promise<string[]> {
  const links = page.locator('nav[aria-label="Main"]').getByRole('link');
  await expect(links.first()).toBeVisible();
  return (await links.allTextContents()).map((text) => text.trim());
}

/** The "N shown of TOTAL · your access: …" line above a record list. */
function recordSummary(page: Page): Locator {
  return page.getByRole('status').filter({ hasText: / shown of \d+/ });
}

/** The TOTAL of the record summary on the current page. */
async function recordTotal(page: Page): Promise<number> {
  const text = await recordSummary(page).textContent();
  const match = /shown of (\d+)/.exec(text ?? '');
  expect(match, `record summary: ${text}`).not.toBeNull();
  return Number(match![1]);
}

/** The texts of one column (1-based) of the record table. */
async function column(page: Page, index: number): Promise<string[]> {
  const cells = page.locator(`table tbody tr td:nth-child(${index})`);
  await expect(cells.first()).toBeVisible();
  return (await cells.allTextContents()).map((text) => text.trim());
}

/** Expects the page to show the refusal, not the content. */
async function expectRefused(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await expect(page.getByRole('heading', { name: REFUSED, exact: true }), path).toBeVisible();
  await expect(page.locator('table'), `${path} shows no table`).toHaveCount(0);
}

interface RegionalMember {
  name: string;
  email: string;
  team: string;
  role: string;
}

/**
 * As the northwind administrator on `admin`: adds a person in EMEA with a password, puts them
 * in a new team, builds a role with ticket.view and customer.view in the matrix and gives it to
 * the team for region EMEA.
 */
async function giveRegionalRoleToNewMember(admin: Page): Promise<RegionalMember> {
  const tag = uniqueTag();
  const member = { name: `Regional Agent ${tag}`, email: uniqueEmail('regional'), password: USER_PASSWORD };
  const team = `E2E Team ${tag}`;
  const role = `E2E EMEA Viewer ${tag}`;

  await test.step('add a person in EMEA with an initial password', async () => {
    await addPersonInRegion(admin, member, 'EMEA');
  });

  await test.step('create a team and add the person to it', async () => {
    await createTeam(admin, team);
    await addMembers(admin, [member.email]);
    await expect(admin.getByRole('heading', { name: 'Members (1)' })).toBeVisible();
    await expect(admin.locator('table tbody tr').filter({ hasText: member.email })).toContainText(member.name);
  });

  await test.step('build a role in the matrix and give it to the team for EMEA', async () => {
    await createRole(admin, role, ['ticket.view', 'customer.view']);
    await expect(permissionBox(admin, 'ticket.view')).toBeChecked();
    await expect(permissionBox(admin, 'customer.view')).toBeChecked();
    await expect(permissionBox(admin, 'customer.view_pii')).not.toBeChecked();

    await giveRoleToTeam(admin, team, ['EMEA']);
    const assignments = admin.getByRole('region', { name: 'Assignments' }).locator('tbody tr');
    await expect(assignments).toHaveCount(1);
    await expect(assignments).toContainText(`${team} (team)`);
    await expect(assignments.locator('td').nth(1)).toHaveText('region = EMEA');
    // The role reaches the member through the team.
    const holders = admin.getByRole('region', { name: 'Who holds this role' }).locator('tbody tr');
    await expect(holders).toHaveCount(1);
    await expect(holders).toContainText(member.email);
    await expect(holders).toContainText(`team ${team}`);
  });

  return { name: member.name, email: member.email, team, role };
}

test.describe('a role given to a team with a region scope', () => {
  test('a member sees only the pages the role allows', async ({ page, isolatedPage }) => {
    await signInToNorthwind(page, DEMO_ADMIN.email, DEMO_ADMIN.password);
    const member = await giveRegionalRoleToNewMember(page);

    const theirs = await isolatedPage();
    await signInToNorthwind(theirs, member.email, USER_PASSWORD);
    await expect(h1(theirs)).toHaveText(`Welcome, ${member.name}`);

    expect(await mainNavigation(theirs)).toEqual(['Dashboard', 'Tickets', 'Customers']);

    for (const path of ['/people', '/roles', '/teams', '/groups', '/feedback']) {
      await expectRefused(theirs, path);
    }

    // The pages the role allows open.
    await theirs.goto('/tickets');
    await expect(h1(theirs)).toHaveText('Tickets');
    await expect(recordSummary(theirs)).toBeVisible();
    await theirs.goto('/customers');
    await expect(h1(theirs)).toHaveText('Customers');
    await expect(recordSummary(theirs)).toBeVisible();
  });

  test('a member sees exactly the tickets and customers of the region, and why', async ({
    page,
    isolatedPage,
  }) => {
    await signInToNorthwind(page, DEMO_ADMIN.email, DEMO_ADMIN.password);
    const member = await giveRegionalRoleToNewMember(page);

    // What the administrator sees, for comparison.
    await page.goto('/tickets?region=EMEA');
    const emeaTickets = await recordTotal(page);
    expect(emeaTickets).toBeGreaterThan(0);
    await page.goto('/tickets?region=NA');
    const naTicketId = (await column(page, 1))[0];
    expect(naTicketId).toMatch(/^\d+$/);
    await page.goto('/customers?region=EMEA');
    const emeaCustomers = await recordTotal(page);
    expect((await column(page, CUSTOMER_EMAIL_COLUMN))[0]).toContain('@');

    const theirs = await isolatedPage();
    await signInToNorthwind(theirs, member.email, USER_PASSWORD);

    await test.step('tickets: only EMEA, all of EMEA', async () => {
      await theirs.goto('/tickets');
      await expect(recordSummary(theirs)).toHaveText(/^\d+ shown of \d+ · your access: region = EMEA$/);
      expect(await recordTotal(theirs)).toBe(emeaTickets);
      const regions = await column(theirs, TICKET_REGION_COLUMN);
      expect(regions.length).toBeGreaterThan(0);
      expect(new Set(regions)).toEqual(new Set(['EMEA']));
    });

    await test.step('customers: only EMEA, without personal data', async () => {
      await theirs.goto('/customers');
      await expect(recordSummary(theirs)).toHaveText(/^\d+ shown of \d+ · your access: region = EMEA$/);
      expect(await recordTotal(theirs)).toBe(emeaCustomers);
      expect(new Set(await column(theirs, CUSTOMER_REGION_COLUMN))).toEqual(new Set(['EMEA']));
      for (const index of [CUSTOMER_EMAIL_COLUMN, CUSTOMER_PHONE_COLUMN]) {
        for (const cell of await column(theirs, index)) expect(cell).toMatch(/^hidden\b/);
      }
    });

    await test.step('a ticket says why the member can see it', async () => {
      await theirs.goto('/tickets');
      const first = theirs.locator('table tbody tr').first().getByRole('link');
      const subject = (await first.textContent())!.trim();
      await first.click();
      await expect(theirs).toHaveURL(/\/tickets\/\d+$/);
      await expect(h1(theirs)).toHaveText(subject);
      const why = theirs.getByRole('region', { name: 'Why you can see this' });
      await expect(why).toContainText(`team ${member.team} → role ${member.role} (region = EMEA) → ticket.view`);
      await expect(why.locator('.path')).toHaveText(
        `${member.name} → team ${member.team} → role ${member.role} (region = EMEA) → ticket.view`,
      );
    });

    await test.step('a ticket from another region is refused', async () => {
      await theirs.goto(`/tickets/${naTicketId}`);
      await expect(theirs.getByRole('heading', { name: REFUSED, exact: true })).toBeVisible();
      await expect(theirs.getByRole('region', { name: 'Why you can see this' })).toHaveCount(0);
    });

    await test.step('the region filter cannot widen access', async () => {
      await theirs.goto('/tickets?region=NA');
      await expect(theirs.getByText('Nothing matches these filters.')).toBeVisible();
      await expect(theirs.locator('table tbody tr')).toHaveCount(0);
      await expect(recordSummary(theirs)).toHaveText(/^0 shown of 0 · your access: region = EMEA$/);
      await theirs.goto('/customers?region=NA');
      await expect(theirs.getByText('Nothing matches these filters.')).toBeVisible();
      await expect(theirs.locator('table tbody tr')).toHaveCount(0);
    });
  });
});

test.describe('roles that include roles', () => {
  test('a role cannot include a role that already includes it', async ({ page }) => {
    await signInToNorthwind(page, DEMO_ADMIN.email, DEMO_ADMIN.password);
    const tag = uniqueTag();
    const inner = `E2E Inner ${tag}`;
    const outer = `E2E Outer ${tag}`;
    const innerId = await createRole(page, inner, ['ticket.view']);
    const outerId = await createRole(page, outer, ['customer.view'], [innerId]);
    await expect(page.locator(`#include-${innerId}`)).toBeChecked();

    // Editing the inner role to include the outer one would close a cycle.
    await page.goto(`/roles/${innerId}`);
    await expect(h1(page)).toHaveText(inner);
    await page.getByLabel('Description').fill(`Kept ${tag}`);
    await permissionBox(page, 'feedback.view').check();
    await page.locator(`#include-${outerId}`).check();
    await page.getByRole('button', { name: 'Save role', exact: true }).click();

    await expectPath(page, `/roles/${innerId}`);
    const refusal = page.getByRole('alert').filter({ hasText: 'cycle' });
    await expect(refusal).toBeVisible();
    await expect(refusal).toContainText(inner);
    await expect(refusal).toContainText(outer);
    await expect(refusal).toHaveText(`Including this role would make a cycle: ${inner} → ${outer} → ${inner}.`);
    await expect(notice(page, 'Role saved.')).toHaveCount(0);

    // What was typed is kept.
    await expect(textbox(page, 'Name')).toHaveValue(inner);
    await expect(page.getByLabel('Description')).toHaveValue(`Kept ${tag}`);
    await expect(permissionBox(page, 'ticket.view')).toBeChecked();
    await expect(permissionBox(page, 'feedback.view')).toBeChecked();
    await expect(page.locator(`#include-${outerId}`)).toBeChecked();

    // Nothing was stored.
    await page.goto(`/roles/${innerId}`);
    await expect(page.locator(`#include-${outerId}`)).not.toBeChecked();
    await expect(permissionBox(page, 'feedback.view')).not.toBeChecked();
    await expect(page.getByLabel('Description')).toHaveValue('');
  });
});

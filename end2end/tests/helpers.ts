import { test as base, expect, type BrowserContext, type Locator, type Page } from '@playwright/test';

/** The administrator `start-server.sh` creates with `castellan admin create`. */
export const ADMIN = {
  email: 'admin@e2e.test',
  password: 'e2e-admin-password-123',
  name: 'E2E Admin',
} as const;

/** The demo organisation `start-server.sh` seeds, with its CX records, teams and groups. */
export const DEMO_ADMIN = {
  org: 'northwind',
  email: 'admin@northwind.example',
  password: 'e2e-demo-password-123',
} as const;

/** The password given to people the tests create (at least 12 characters). */
export const USER_PASSWORD = 'user-password-4567';

/** A short tag unique to this call, safe in names, emails and search prefixes. */
export function uniqueTag(): string {
  const random = Math.random().toString(36).slice(2, 8);
  return `${Date.now().toString(36)}${random}`;
}

/** A lower-case email nobody else in the run uses. */
export function uniqueEmail(prefix = 'e2e'): string {
  return `${prefix}-${uniqueTag()}@e2e.test`.toLowerCase();
}

/**
 * A text input (text, email, search...) by its label. Labels of required fields end with an
 * `aria-hidden` " *", which `getByLabel(..., { exact: true })` would see; the accessible name
 * does not include it, so match by role and accessible name instead.
 */
export function textbox(page: Page, label: string): Locator {
  return page.getByRole('textbox', { name: label, exact: true });
}

/** A password input by its label (password inputs have no ARIA role). */
export function passwordField(page: Page, label: string): Locator {
  return page.locator('input[type="password"]').and(page.getByLabel(label));
}

/** Waits until the page's path (without query) is `path`. */
export async function expectPath(page: Page, path: string): Promise<void> {
  await expect.poll(() => new URL(page.url()).pathname, { message: `path should be ${path}` }).toBe(path);
}

/** The one-shot notice shown after a successful form (role="status"). */
export function notice(page: Page, text: string | RegExp): Locator {
  return page.getByRole('status').filter({ hasText: text });
}

/** The page's main heading. */
export function h1(page: Page): Locator {
  return page.getByRole('heading', { level: 1 });
}

/**
 * Fills and submits the sign-in form from a freshly loaded /login, so that whatever the next
 * page shows really is the answer to this attempt. Asserts nothing about the outcome.
 */
export async function submitSignIn(
  page: Page,
  email: string,
  password: string,
  org = 'e2e',
): Promise<void> {
  await page.goto('/login');
  // With more than one organisation the form asks which one.
  const orgField = page.locator('#org');
  if (await orgField.count()) {
    await orgField.fill(org);
  }
  await textbox(page, 'Email').fill(email);
  await passwordField(page, 'Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** Signs in and waits for the dashboard. */
export async function signIn(page: Page, email: string, password: string, org = 'e2e'): Promise<void> {
  await submitSignIn(page, email, password, org);
  await expectPath(page, '/');
  await expect(h1(page)).toBeVisible();
}

/** Signs in as the administrator and waits for the admin dashboard. */
export async function signInAsAdmin(page: Page): Promise<void> {
  await submitSignIn(page, ADMIN.email, ADMIN.password);
  await expectPath(page, '/');
  await expect(h1(page)).toHaveText('Dashboard');
}

export interface NewPerson {
  name: string;
  email: string;
  /** Initial password; leave undefined for a person without one. */
  password?: string;
  department?: string;
  jobTitle?: string;
}

/** Fills the Add person form (does not submit). */
export async function fillPersonForm(page: Page, person: NewPerson): Promise<void> {
  await textbox(page, 'Name').fill(person.name);
  await textbox(page, 'Email').fill(person.email);
  if (person.department !== undefined) await textbox(page, 'Department').fill(person.department);
  if (person.jobTitle !== undefined) await textbox(page, 'Job title').fill(person.jobTitle);
  if (person.password !== undefined) await passwordField(page, 'Initial password').fill(person.password);
}

/**
 * As a signed-in administrator, adds a person and waits for their page with the
 * "<Name> was added." notice. Returns the person's id and page path.
 */
export async function createPerson(page: Page, person: NewPerson): Promise<{ id: string; path: string }> {
  await page.goto('/people/new');
  await fillPersonForm(page, person);
  await page.getByRole('button', { name: 'Add person', exact: true }).click();
  await expect(page).toHaveURL(/\/people\/\d+(\?.*)?$/);
  await expect(notice(page, `${person.name} was added.`)).toBeVisible();
  const path = new URL(page.url()).pathname;
  return { id: path.split('/').pop()!, path };
}

/** A person with a password, ready to sign in, added by the administrator on `adminPage`. */
export async function createUserWithPassword(
  adminPage: Page,
  namePrefix: string,
): Promise<NewPerson & { password: string; id: string; path: string }> {
  const tag = uniqueTag();
  const person = {
    name: `${namePrefix} ${tag}`,
    email: uniqueEmail(namePrefix.toLowerCase().replace(/[^a-z0-9]+/g, '-')),
    password: USER_PASSWORD,
  };
  const created = await createPerson(adminPage, person);
  return { ...person, ...created };
}

const pageErrors = new WeakMap<Page, string[]>();

/** Records uncaught exceptions and Rust panics (console_error_panic_hook) in the page. */
export function watchForPageErrors(page: Page): void {
  const errors: string[] = [];
  pageErrors.set(page, errors);
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /panicked|hydration|unreachable/i.test(message.text())) {
      errors.push(`console: ${message.text()}`);
    }
  });
}

/** The errors recorded for `page` so far. */
export function errorsOf(page: Page): string[] {
  return pageErrors.get(page) ?? [];
}

/**
 * The test function used by every spec.
 *
 * - The default `page` fails the test if the app throws or panics in the browser (only
 *   possible with JavaScript on).
 * - `isolatedPage()` opens a page in a new browser context (its own cookies, so another
 *   person can be signed in at the same time) with the project's settings: base URL and
 *   JavaScript on or off. It is checked the same way and closed after the test.
 */
export const test = base.extend<{ failOnPageErrors: void; isolatedPage: () => Promise<Page> }>({
  failOnPageErrors: [
    async ({ page }, use) => {
      watchForPageErrors(page);
      await use();
      expect(errorsOf(page), 'errors in the browser').toEqual([]);
    },
    { auto: true },
  ],
  isolatedPage: async ({ browser, baseURL, javaScriptEnabled }, use) => {
    const contexts: BrowserContext[] = [];
    const pages: Page[] = [];
    await use(async () => {
      const context = await browser.newContext({ baseURL, javaScriptEnabled });
      contexts.push(context);
      const page = await context.newPage();
      watchForPageErrors(page);
      pages.push(page);
      return page;
    });
    const errors = pages.flatMap(errorsOf);
    await Promise.all(contexts.map((c) => c.close()));
    expect(errors, 'errors in the browser (second context)').toEqual([]);
  },
});

export { expect };

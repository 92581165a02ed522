import { chromium } from 'playwright-core';
const base = 'http://127.0.0.1:4500';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'fr-FR' });
const page = await ctx.newPage();
const errors = [];
page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
page.on('response', async (r) => { if (r.url().includes('/graphql')) { try { const j = await r.json(); if (j.errors) errors.push('GQL ' + JSON.stringify(j.errors).slice(0, 300)); } catch {} } });
const shot = (n) => page.screenshot({ path: `/tmp/ft2/walk/${n}.png`, fullPage: false });
const t = () => new Date().toISOString().slice(11, 19);
// 1 home → search
await page.goto(base + '/');
await page.getByRole('combobox').first().fill('saint-mihiel');
await page.waitForTimeout(800);
await shot('01-home-search');
await page.keyboard.press('ArrowDown'); await page.keyboard.press('Enter');
await page.waitForURL(/communes/);
await page.waitForFunction(() => globalThis.__mapIdle === true, null, { timeout: 30000 }).catch(() => console.log('no map idle'));
await shot('02-commune');
console.log(t(), 'commune url', page.url(), (await page.locator('h1').first().textContent()));
// 2 gaps: région Grand Est, santé mentale
await page.goto(base + '/lacunes?region=44&theme=sante-mentale');
await page.waitForTimeout(4000);
await shot('03-gaps-ge-sm');
console.log(t(), 'gaps text', (await page.locator('main').innerText()).slice(0, 600).replace(/\n+/g, ' | '));
// 3 coalitions
await page.goto(base + '/coalitions');
await page.waitForTimeout(1500);
await shot('04-coalitions');
console.log(t(), 'coalitions', (await page.locator('main').innerText()).slice(0, 400).replace(/\n+/g, ' | '));
// 4 diagnostic
await page.goto(base + '/diagnostic');
await page.waitForTimeout(2500);
await shot('05-diagnostic');
console.log(t(), 'diagnostic', (await page.locator('main').innerText()).slice(0, 400).replace(/\n+/g, ' | '));
console.log('errors', errors);
await browser.close();

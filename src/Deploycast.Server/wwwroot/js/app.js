// The console's shell: sign-in, navigation between pages (hash routes), sign-out.
import { api, ApiError } from './api.js';
import { announce } from './dom.js';
import * as sessions from './pages/sessions.js';
import * as deployments from './pages/deployments.js';
import * as dp from './pages/dp.js';
import * as packages from './pages/packages.js';
import * as taskSequences from './pages/tasksequences.js';
import * as collections from './pages/collections.js';

const pages = {
  sessions: { module: sessions, title: 'Multicast sessions' },
  deployments: { module: deployments, title: 'Deployments' },
  dp: { module: dp, title: 'Distribution point' },
  packages: { module: packages, title: 'Packages' },
  'task-sequences': { module: taskSequences, title: 'Task sequences' },
  collections: { module: collections, title: 'Collections and devices' },
};

const signInView = document.getElementById('sign-in-view');
const signInForm = document.getElementById('sign-in-form');
const tokenInput = document.getElementById('token');
const tokenError = document.getElementById('token-error');
const nav = document.getElementById('nav');
const signOutButton = document.getElementById('sign-out');
const pageRoot = document.getElementById('page');
let unmount = null;
let signedIn = false;

function route() {
  const [name, ...rest] = (location.hash.replace(/^#\/?/, '') || 'sessions').split('/');
  return { name: pages[name] ? name : 'sessions', params: rest.map(decodeURIComponent) };
}

function showPage() {
  if (!signedIn) return;
  if (unmount) {
    unmount();
    unmount = null;
  }

  const { name, params } = route();
  const page = pages[name];
  document.title = `${page.title} · Deploycast console`;
  for (const link of nav.querySelectorAll('a')) {
    if (link.dataset.page === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }

  pageRoot.replaceChildren();
  const container = document.createElement('div');
  container.className = 'page';
  pageRoot.append(container);
  unmount = page.module.mount(container, params) ?? null;
}

function showSignedIn() {
  signedIn = true;
  signInView.hidden = true;
  nav.hidden = false;
  signOutButton.hidden = false;
  showPage();
}

function showSignIn(message) {
  signedIn = false;
  if (unmount) {
    unmount();
    unmount = null;
  }
  pageRoot.replaceChildren();
  nav.hidden = true;
  signOutButton.hidden = true;
  signInView.hidden = false;
  document.title = 'Sign in · Deploycast console';
  tokenError.textContent = message ?? '';
  tokenInput.focus();
}

signInForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  tokenError.textContent = '';
  tokenInput.removeAttribute('aria-invalid');
  const button = signInForm.querySelector('button');
  button.disabled = true;
  try {
    await api('POST', '/api/v1/console/sign-in', { token: tokenInput.value });
    tokenInput.value = '';
    announce('Signed in.');
    showSignedIn();
    document.getElementById('main').focus();
  } catch (e) {
    tokenInput.setAttribute('aria-invalid', 'true');
    tokenError.textContent = e instanceof ApiError ? (e.errors.token?.[0] ?? e.message) : 'Sign-in failed.';
    tokenInput.select();
  } finally {
    button.disabled = false;
  }
});

signOutButton.addEventListener('click', async () => {
  try {
    await api('POST', '/api/v1/console/sign-out');
  } finally {
    showSignIn('');
    announce('Signed out.');
  }
});

window.addEventListener('deploycast:signed-out', () => {
  if (signedIn) showSignIn('Your console session ended. Sign in again.');
});

window.addEventListener('hashchange', () => {
  showPage();
  document.getElementById('main').focus({ preventScroll: true });
});

// Already signed in (the cookie lives on across reloads)?
api('GET', '/api/v1/console/session').then(showSignedIn, () => showSignIn(''));

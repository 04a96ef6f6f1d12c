/**
 * operator-courier 2.1.11 (PyPI) `push` of a small operator bundle (fixtures/operator-bundle) to
 * Wharf's push endpoint. The CLI is unmodified; support/quay-proxy.ts routes its hard-coded
 * quay.io URL to the Wharf under test. The blob Wharf stores must be the bundle: the same files,
 * byte for byte, under the directory name operator-courier gives them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  CLIENTS_DIR,
  INSTALL_TIMEOUT_MS,
  VENV,
  baseUrl,
  contentDigest,
  ensureInstalled,
  freshNamespace,
  getBytes,
  getJson,
  run,
  runOk,
  sha256,
  tempDir,
  tgzFiles,
} from './support/clients';
import { enforcedUrl } from '../support/target';
import { startQuayProxy, type QuayProxy } from './support/quay-proxy';

const BUNDLE = join(CLIENTS_DIR, 'fixtures', 'operator-bundle');
let proxy: QuayProxy;

beforeAll(async () => {
  ensureInstalled('operator-courier');
  proxy = await startQuayProxy(baseUrl());
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await proxy?.close();
});

function courier(args: string[], through: QuayProxy = proxy) {
  return run(join(VENV('operator-courier'), 'bin', 'operator-courier'), args, {
    env: {
      HTTPS_PROXY: through.proxyUrl,
      https_proxy: through.proxyUrl,
      NO_PROXY: '',
      no_proxy: '',
      REQUESTS_CA_BUNDLE: through.caFile,
    },
  });
}

it('verifies the fixture bundle', async () => {
  await runOk(join(VENV('operator-courier'), 'bin', 'operator-courier'), ['verify', '--ui_validate_io', BUNDLE]);
});

it('pushes the bundle; Wharf serves it back as the same files', async () => {
  const ns = freshNamespace('courier');
  const r = await courier(['push', BUNDLE, ns, 'wharf-demo', '0.0.1', 'basic dW51c2VkOnVudXNlZA==']);
  if (r.code !== 0) throw new Error(`operator-courier push exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  const sent = proxy.requests.filter((q) => q.line === `POST /cnr/api/v1/packages/${ns}/wharf-demo`);
  expect(sent).toHaveLength(1);
  const body = JSON.parse(sent[0]!.body.toString()) as { blob: string; release: string; media_type: string };
  expect(body).toEqual(expect.objectContaining({ release: '0.0.1', media_type: 'helm' }));
  const pushedTgz = Buffer.from(body.blob, 'base64');

  const shown = await getJson<{ release: string; content: { digest: string; size: number } }>(
    `/cnr/api/v1/packages/${ns}/wharf-demo/0.0.1/helm`,
  );
  expect(shown.status).toBe(200);
  const pulled = await getBytes(`/cnr/api/v1/packages/${ns}/wharf-demo/0.0.1/helm/pull`);
  expect(pulled.status).toBe(200);
  expect(shown.body.content.digest).toBe(contentDigest(pulled.bytes));
  expect(shown.body.content.size).toBe(pulled.bytes.length);
  const byDigest = await getBytes(`/cnr/api/v1/packages/${ns}/wharf-demo/blobs/sha256/${shown.body.content.digest}`);
  expect(sha256(byDigest.bytes)).toBe(sha256(pulled.bytes));
  expect(sha256(pulled.bytes)).toBe(sha256(pushedTgz));

  const path = join(tempDir('courier'), 'pulled.tgz');
  writeFileSync(path, pulled.bytes);
  // operator-courier flattens the bundle into one bundle.yaml (data.packages, CRDs, CSVs).
  const files = tgzFiles(path);
  const names = Object.keys(files);
  expect(names).toHaveLength(1);
  expect(names[0]).toMatch(/^[^/]+\/bundle\.yaml$/);
  const data = (parse(files[names[0]!]!) as { data: Record<string, string> }).data;
  expect(parse(data.packages!)).toEqual([parse(readFileSync(join(BUNDLE, 'package.yaml'), 'utf8'))]);
  expect(parse(data.customResourceDefinitions!)).toEqual([
    parse(readFileSync(join(BUNDLE, 'wharf-demo.crd.yaml'), 'utf8')),
  ]);
  const csvs = parse(data.clusterServiceVersions!) as Array<{ metadata: { name: string } }>;
  expect(csvs.map((c) => c.metadata.name)).toEqual(['wharf-demo.v0.0.1']);

  // A second push of the same release: Wharf answers 409 package-exists in the `error` envelope
  // operator-courier reads (r_json['error']['message']), and the CLI reports that message.
  const again = await courier(['push', BUNDLE, ns, 'wharf-demo', '0.0.1', 'basic dW51c2VkOnVudXNlZA==']);
  expect(again.code).not.toBe(0);
  expect(again.stdout + again.stderr).toContain('package-exists');
  // The last line is the message operator-courier took from the `error` envelope.
  expect((again.stdout + again.stderr).trim().split('\n').pop()).toMatch(/already exists/);
});

describe('against a registry that enforces authentication', () => {
  let enforced: QuayProxy;

  beforeAll(async () => {
    enforced = await startQuayProxy(enforcedUrl());
  });

  afterAll(async () => {
    await enforced?.close();
  });

  it('pushes with the token from /users/login, and fails with 401 on a bad token', async () => {
    const user = freshNamespace('courieruser');
    const signUp = await fetch(`${enforcedUrl()}/cnr/api/v1/users`, {
      method: 'POST',
      body: JSON.stringify({ user: { username: user, password: 'courier-password' } }),
    });
    expect(signUp.status).toBe(201);
    const login = await fetch(`${enforcedUrl()}/cnr/api/v1/users/login`, {
      method: 'POST',
      body: JSON.stringify({ user: { username: user, password: 'courier-password' } }),
    });
    const { token } = (await login.json()) as { token: string };

    const refused = await courier(
      ['push', BUNDLE, user, 'wharf-demo', '0.0.1', 'basic dW51c2VkOnVudXNlZA=='],
      enforced,
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/401|invalid username or password/);

    const pushed = await courier(['push', BUNDLE, user, 'wharf-demo', '0.0.1', token], enforced);
    if (pushed.code !== 0)
      throw new Error(`operator-courier push exited ${pushed.code}\n${pushed.stdout}\n${pushed.stderr}`);
    const shown = await fetch(`${enforcedUrl()}/cnr/api/v1/packages/${user}/wharf-demo/0.0.1/helm`);
    expect(shown.status).toBe(200);
  });
});

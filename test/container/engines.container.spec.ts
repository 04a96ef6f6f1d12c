/**
 * The engines' images (deploy/container/engines.sh) hold the very artifacts deploy/local installs,
 * not a second set: each image's jars or binary are byte for byte the files in deploy/local's
 * cache. They run as a user other than root, and an unchanged input builds nothing.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const dir = join(__dirname, '../../deploy/container');

async function sh(command: string): Promise<string> {
  const { stdout } = await run('bash', ['-c', command], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}
async function script(name: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('bash', [join(dir, name), ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}
const engine = (...args: string[]): Promise<string> => script('engine.sh', 'cli', ...args);

/** For each engine: the artifact's files inside the image, and where they are in deploy/local's artifact. */
const ENGINES = {
  kafka: { inImage: '/opt/kafka/libs', files: '*.jar' },
  opensearch: { inImage: '/usr/share/opensearch', files: 'lib/*.jar bin/opensearch' },
  ferretdb: { inImage: '/usr/local/bin/ferretdb', files: '' },
  s3: { inImage: '/usr/local/bin/versitygw', files: '' },
} as const;
type Engine = keyof typeof ENGINES;
/** A container run and the checksums of an artifact's jars: past jest's 5 s default on a loaded machine. */
const CONTAINER_TEST_MS = 120_000;

let images: Record<Engine, string>;

beforeAll(async () => {
  // A cold machine makes the base, the Java image and four images: minutes.
  const names = (await script('engines.sh', 'build')).split('\n');
  images = Object.fromEntries(
    (Object.keys(ENGINES) as Engine[]).map((e) => [e, names.find((n) => n.startsWith(`localhost/wharf-${e}:`))!]),
  ) as Record<Engine, string>;
}, 30 * 60_000);

/** `sha256sum` of the artifact's files, names relative to the artifact, sorted. */
function checksums(root: string, files: string): string {
  return files === '' ? `sha256sum < '${root}'` : `cd '${root}' && sha256sum ${files} | sort -k2`;
}

describe.each(Object.keys(ENGINES) as Engine[])('the %s image', (e) => {
  it(
    "holds deploy/local's artifact, byte for byte, and runs as a user other than root",
    async () => {
      const { inImage, files } = ENGINES[e];
      const artifact = await script('engines.sh', 'artifact', e);
      const inside = await engine(
        'run',
        '--rm',
        '--entrypoint',
        'bash',
        images[e],
        '-c',
        `id -u; ${checksums(inImage, files)}`,
      );
      const [uid, ...sums] = inside.split('\n');
      expect(uid).not.toBe('0');
      expect(sums.join('\n')).toBe(await sh(checksums(artifact, files)));
      expect(sums.length).toBeGreaterThan(0);
    },
    CONTAINER_TEST_MS,
  );
});

it(
  'builds nothing when no input changed',
  async () => {
    const ids = async (): Promise<string[]> =>
      Promise.all(Object.values(images).map((name) => engine('image', 'inspect', '-f', '{{.Id}}', name)));
    const before = await ids();
    const again = (await script('engines.sh', 'build')).split('\n');
    expect(again.sort()).toEqual(Object.values(images).sort());
    expect(await ids()).toEqual(before);
  },
  CONTAINER_TEST_MS,
);

/**
 * Packs this repository as npm would publish it and installs the tarball into a fresh project in
 * a temporary folder, the way a user would get it. Used by scripts/check-package.mjs and the
 * start-up benchmark (scripts/bench/09-startup.ts).
 *
 * No network. `npm ci` in this repository fetched the tarballs of every dependency into npm's
 * cache, but not the registry's metadata that `npm install aca-ode.tgz` would need to resolve
 * version ranges (`npm install --offline` fails with ENOTCACHED). So the consumer project gets a
 * lockfile made from this repository's: the tarball, plus the packages reachable from its
 * dependencies at the versions locked here; `npm ci --offline` then installs from the cache alone,
 * and a package missing from it makes the install fail rather than quietly download.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Runs npm with the given arguments in `cwd`; returns its stdout. */
export function runNpm(args, cwd, extraEnv = {}) {
  return execFileSync(npm, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...extraEnv },
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** `npm pack` (its prepack runs the build) into `dir`; returns the tarball's path. */
export function pack(dir) {
  const out = runNpm(['pack', '--json', '--pack-destination', dir], ROOT);
  const [info] = JSON.parse(out.slice(out.indexOf('[')));
  return { tarball: join(dir, info.filename), files: info.files.map((f) => f.path), size: info.size, unpackedSize: info.unpackedSize };
}

/**
 * The lock entries of the packages that `from` (a package path in the lock: '' for the root)
 * needs through the given dependency fields, found as Node resolves them (the nearest
 * node_modules folder up the path), with their paths in the lock.
 */
function reachable(packages, roots) {
  const found = new Map();
  const visit = (path, fields) => {
    const entry = packages[path];
    for (const field of fields) {
      for (const name of Object.keys(entry?.[field] ?? {})) {
        let dir = path;
        let target;
        for (;;) {
          const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
          if (packages[candidate]) {
            target = candidate;
            break;
          }
          if (!dir) break;
          const up = dir.lastIndexOf('/node_modules/');
          dir = up < 0 ? '' : dir.slice(0, up);
        }
        if (!target) {
          if (field === 'optionalDependencies' || field === 'peerDependencies') continue;
          throw new Error(`${name} (needed by ${path || 'the root'}) is not in package-lock.json`);
        }
        if (found.has(target)) continue;
        found.set(target, packages[target]);
        visit(target, ['dependencies', 'optionalDependencies']);
      }
    }
  };
  for (const [path, fields] of roots) visit(path, fields);
  return found;
}

/**
 * A new project in a temp folder with the tarball installed from npm's cache only (see above).
 * `devPackages`: names of this repository's dev dependencies to add as the project's dev
 * dependencies (e.g. @types/node for a TypeScript consumer); `omitDev` leaves them out.
 */
export function installTarball(tarball, { prefix = 'aca-ode-consumer-', devPackages = [], omitDev = false, project } = {}) {
  project ??= mkdtempSync(join(tmpdir(), prefix));
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
  const packages = lock.packages;
  const self = packages[''];
  const devDependencies = Object.fromEntries(devPackages.map((name) => [name, packages[`node_modules/${name}`].version]));
  const manifest = { name: 'consumer', version: '1.0.0', private: true, dependencies: { [self.name]: `file:${tarball}` }, devDependencies };
  const prod = reachable(packages, [['', ['dependencies', 'optionalDependencies']]]);
  const dev = reachable(packages, devPackages.map((name) => [`node_modules/${name}`, ['dependencies', 'optionalDependencies']]));
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  const consumerLock = {
    name: 'consumer',
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'consumer', version: '1.0.0', dependencies: manifest.dependencies, devDependencies },
      [`node_modules/${self.name}`]: {
        version: self.version,
        resolved: `file:${tarball}`,
        integrity,
        license: self.license,
        dependencies: self.dependencies,
        optionalDependencies: self.optionalDependencies,
        peerDependencies: self.peerDependencies,
        peerDependenciesMeta: self.peerDependenciesMeta,
        bin: self.bin,
        engines: self.engines,
      },
    },
  };
  for (const [path, entry] of prod) {
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...rest } = entry;
    consumerLock.packages[path] = rest;
  }
  for (const name of devPackages) dev.set(`node_modules/${name}`, packages[`node_modules/${name}`]);
  for (const [path, entry] of dev) {
    if (prod.has(path)) continue;
    const { devOptional: _devOptional, peer: _peer, ...rest } = entry;
    consumerLock.packages[path] = { ...rest, dev: true };
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify(manifest, null, 2));
  writeFileSync(join(project, 'package-lock.json'), JSON.stringify(consumerLock, null, 2));
  runNpm(['ci', '--offline', '--no-audit', '--no-fund', ...(omitDev ? ['--omit=dev'] : [])], project);
  return project;
}

/** Packs and installs in one go: { work, tarball, files, project }. */
export function packAndInstall() {
  const work = mkdtempSync(join(tmpdir(), 'aca-ode-pack-'));
  mkdirSync(work, { recursive: true });
  const packed = pack(work);
  const project = installTarball(packed.tarball, { omitDev: true, devPackages: ['@types/node'] });
  return { work, ...packed, project };
}

/** Bytes of the files under `dir` (apparent sizes, links not followed). */
export function treeBytes(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}

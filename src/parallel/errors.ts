/**
 * Errors of the worker pool. A failure inside a worker reaches the main thread as data (its code,
 * name and message; structured cloning would drop an Error's class and `code`), or as the pool's
 * own error when the worker died; both end up as a WorkerFaultError, and a task that still fails
 * after its retry becomes a ShardFailedError (a batch job) or an error line (`aca batch`).
 */
import { AcaError } from '../errors.ts';

/** What a worker reports for an error it caught: enough to rebuild and classify it. */
export interface WorkerErrorInfo {
  readonly name: string;
  readonly code?: string;
  readonly message: string;
  readonly stack?: string;
  /** Index (in the whole batch) of the trajectory that failed, when one did. */
  readonly trajectory?: number;
  /**
   * True for the library's own errors (AcaError: invalid input, step-size underflow, max steps,
   * non-finite values): the same inputs fail the same way, so a retry is pointless.
   */
  readonly deterministic: boolean;
}

/** A task's failure in a worker: an error it threw, its exit, or its running out of memory. */
export class WorkerFaultError extends AcaError {
  readonly deterministic: boolean;
  readonly trajectory?: number;
  readonly workerStack?: string;
  constructor(code: string, message: string, options: { deterministic?: boolean; trajectory?: number; stack?: string } = {}) {
    super(code, message);
    this.deterministic = options.deterministic ?? false;
    this.trajectory = options.trajectory;
    this.workerStack = options.stack;
  }
}

/** A shard of a batch job that failed for good (after its retry, or at once when deterministic). */
export class ShardFailedError extends AcaError {
  readonly shard: number;
  readonly first: number;
  readonly count: number;
  readonly attempts: number;
  override readonly cause: Error;
  constructor(shard: number, shards: number, first: number, count: number, attempts: number, cause: Error) {
    const where = `shard ${shard} of ${shards} (trajectories ${first}..${first + count - 1})`;
    const at = (cause as WorkerFaultError).trajectory;
    const traj = at === undefined ? '' : ` at trajectory ${at}`;
    const code = (cause as AcaError).code ? ` [${(cause as AcaError).code}]` : '';
    super(
      'ERR_SHARD_FAILED',
      `${where} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}${traj}: ${cause.message}${code}`,
    );
    this.shard = shard;
    this.first = first;
    this.count = count;
    this.attempts = attempts;
    this.cause = cause;
  }
}

/** The job was stopped by its AbortSignal (e.g. Ctrl-C) before it finished. */
export class InterruptedError extends AcaError {
  constructor(what: string) {
    super('ERR_INTERRUPTED', `${what} was interrupted before it finished`);
  }
}

/** Turns anything thrown in a worker into plain data that survives postMessage. */
export function toWorkerErrorInfo(error: unknown): WorkerErrorInfo {
  if (error instanceof Error) {
    const code = (error as AcaError).code;
    const trajectory = (error as { trajectory?: unknown }).trajectory;
    return {
      name: error.name,
      code: typeof code === 'string' ? code : undefined,
      message: error.message,
      stack: error.stack,
      trajectory: typeof trajectory === 'number' ? trajectory : undefined,
      deterministic: error instanceof AcaError,
    };
  }
  return { name: 'Error', message: String(error), deterministic: false };
}

export function fromWorkerErrorInfo(info: WorkerErrorInfo): WorkerFaultError {
  const code = info.code ?? 'ERR_WORKER_THREW';
  // A library error's code says what it is; other errors keep their class name (TypeError: ...).
  const name = !info.deterministic && info.name && info.name !== 'Error' ? `${info.name}: ` : '';
  return new WorkerFaultError(code, `${name}${info.message}`, {
    deterministic: info.deterministic,
    trajectory: info.trajectory,
    stack: info.stack,
  });
}

/** Writing a batch's results file failed (a full disk, a read-only file system): the batch stops. */
export class ResultsWriteError extends AcaError {
  readonly file: string;
  readonly errno?: string;
  constructor(file: string, cause: unknown) {
    const errno = (cause as NodeJS.ErrnoException)?.code;
    const detail = errno ? `${errno}: ${describeErrno(errno)}` : String((cause as Error)?.message ?? cause);
    super('ERR_RESULTS_WRITE', `cannot write results file '${file}' (${detail}); the runs written before are kept, rerun the same command to resume`);
    this.file = file;
    this.errno = errno;
  }
}

/** Another `aca batch` holds the output's lock. */
export class OutputLockedError extends AcaError {
  readonly file: string;
  readonly pid: number;
  constructor(file: string, pid: number) {
    super('ERR_OUTPUT_LOCKED', `'${file}' is in use by another aca batch (pid ${pid}); wait for it to finish, or stop it`);
    this.file = file;
    this.pid = pid;
  }
}

/** Words for the errno codes a write meets (the code itself stays in the message). */
export function describeErrno(code: string): string {
  switch (code) {
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EROFS':
      return 'read-only file system';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a folder';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'EEXIST':
      return 'already exists';
    case 'ENOENT':
      return 'no such file or folder';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EIO':
      return 'input/output error';
    default:
      return 'system error';
  }
}

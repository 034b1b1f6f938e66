// Xen's errno values (public/errno.h; they match Linux x86). Hypercalls return 0 or a
// non-negative value on success and the NEGATED errno on failure, exactly like Xen.
export const EPERM = 1;
export const ENOENT = 2;
export const ESRCH = 3;
export const EINTR = 4;
export const EIO = 5;
export const E2BIG = 7;
export const EBADF = 9;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const ENODEV = 19;
export const EINVAL = 22;
export const ENOSPC = 28;
export const EROFS = 30;
export const ERANGE = 34;
export const ENOSYS = 38;
export const ENOTEMPTY = 39;
export const EOPNOTSUPP = 95;
export const ENOBUFS = 105;
export const EISCONN = 106;
export const ETIMEDOUT = 110;

const NAMES: Record<number, string> = {
  [EPERM]: 'EPERM', [ENOENT]: 'ENOENT', [ESRCH]: 'ESRCH', [EINTR]: 'EINTR', [EIO]: 'EIO',
  [E2BIG]: 'E2BIG', [EBADF]: 'EBADF', [EAGAIN]: 'EAGAIN', [ENOMEM]: 'ENOMEM', [EACCES]: 'EACCES',
  [EFAULT]: 'EFAULT', [EBUSY]: 'EBUSY', [EEXIST]: 'EEXIST', [ENODEV]: 'ENODEV', [EINVAL]: 'EINVAL',
  [ENOSPC]: 'ENOSPC', [EROFS]: 'EROFS', [ERANGE]: 'ERANGE', [ENOSYS]: 'ENOSYS',
  [ENOTEMPTY]: 'ENOTEMPTY', [EOPNOTSUPP]: 'EOPNOTSUPP', [ENOBUFS]: 'ENOBUFS',
  [EISCONN]: 'EISCONN', [ETIMEDOUT]: 'ETIMEDOUT',
};

/** "-EPERM" for -1, "0" for 0: how a hypercall result reads in a trace or a test message. */
export function errnoName(rc: number): string {
  if (rc >= 0) return String(rc);
  return '-' + (NAMES[-rc] ?? String(-rc));
}

/**
 * Which filesystems a recorded `stat` can vouch for (see file-validator.ts). On a local filesystem
 * every change to a file moves its ctime, which user space cannot set back. A network or FUSE
 * filesystem (NFS, SMB, sshfs, virtiofs, 9p) reports what its server or daemon says: attributes may
 * be cached for seconds, and ctime may simply be the mtime, which `cp -p` or `touch -d` set at will,
 * so a same-size file rewritten there can keep every field the validator compares. Files on those
 * are hashed instead.
 */
import { statfs } from "node:fs/promises";

/** `statfs` magic numbers (Linux `f_type`) of local filesystems. */
const LOCAL_FILESYSTEMS: ReadonlyMap<number, string> = new Map([
  [0xef53, "ext2/3/4"],
  [0x58465342, "xfs"],
  [0x9123683e, "btrfs"],
  [0x01021994, "tmpfs"],
  [0x858458f6, "ramfs"],
  [0x794c7630, "overlayfs"],
  [0x2fc12fc1, "zfs"],
  [0xf2f52010, "f2fs"],
  [0xca451a4e, "bcachefs"],
]);

/** Whether a filesystem of `statfs` type `type` is one whose stat a file validator may trust. */
export function isLocalFilesystem(type: number): boolean {
  return LOCAL_FILESYSTEMS.has(type);
}

/** The `statfs` type of the filesystem holding `path`, or null when it cannot be read. */
export async function filesystemType(path: string): Promise<number | null> {
  return statfs(path).then(
    (s) => s.type,
    () => null,
  );
}

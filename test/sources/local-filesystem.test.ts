import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { filesystemType, isLocalFilesystem } from "../../src/sources/local-filesystem";

describe("which filesystems a recorded stat can vouch for", () => {
  it("local ones (ext4, xfs, btrfs, tmpfs, overlayfs, zfs) but not NFS, SMB/CIFS, FUSE (sshfs, virtiofs) or 9p", () => {
    expect([0xef53, 0x58465342, 0x9123683e, 0x01021994, 0x794c7630, 0x2fc12fc1].map(isLocalFilesystem)).toEqual([true, true, true, true, true, true]);
    expect([0x6969, 0xff534d42, 0xfe534d42, 0x517b, 0x65735546, 0x01021997].map(isLocalFilesystem)).toEqual([false, false, false, false, false, false]);
  });

  it("reads the type of the filesystem holding a path, and null for a path that does not exist", async () => {
    expect(typeof (await filesystemType(tmpdir()))).toBe("number");
    expect(await filesystemType("/nonexistent/tidemark")).toBeNull();
  });
});

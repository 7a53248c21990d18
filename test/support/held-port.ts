import { createServer, type Socket } from "node:net";
import { freePort } from "../../src/devstack/ports";

/** A port on 127.0.0.1 held by a listener that accepts connections and never answers, as another process starting at the same time could. */
export interface HeldPort {
  port: number;
  /** Connections it accepted so far. */
  accepted(): number;
  /** Drops its connections and releases the port. */
  release(): Promise<void>;
}

/** Holds a free port on 127.0.0.1 (see {@link HeldPort}). */
export function holdPort(): Promise<HeldPort> {
  return new Promise((resolve, reject) => {
    const sockets = new Set<Socket>();
    let accepted = 0;
    const server = createServer((socket) => {
      accepted++;
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve({
        port: typeof address === "object" && address ? address.port : 0,
        accepted: () => accepted,
        release: async () => {
          for (const socket of sockets) socket.destroy();
          await new Promise((r) => server.close(r));
        },
      });
    });
  });
}

/** A port picker that hands out `first` once, then free ports, and records every port it handed out. */
export function pickerHandingOutFirst(first: number): { pickPort: () => Promise<number>; handedOut: number[] } {
  const handedOut: number[] = [];
  const pickPort = async () => {
    const port = handedOut.length === 0 ? first : await freePort();
    handedOut.push(port);
    return port;
  };
  return { pickPort, handedOut };
}

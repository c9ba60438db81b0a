// `berth dashboard`'s web server inside the host process: started on first use, then reused.
import { DashboardServer } from './server.ts';
import type { DashboardServices } from '../services/services.ts';

/** The dashboard's web server for `berth dashboard`: started on first use, then the same one. */
export class DashboardLauncher {
  private server: Promise<DashboardServer> | null = null;

  constructor(private readonly services: DashboardServices) {}

  async open(): Promise<{ url: string }> {
    this.server ??= (async () => {
      const s = new DashboardServer(this.services, { port: Number(process.env.BERTH_DASHBOARD_PORT ?? 0) });
      await s.listen();
      return s;
    })().catch((e: unknown) => {
      this.server = null;
      throw e;
    });
    return { url: (await this.server).url };
  }

  /** True once the dashboard is served (its browser tabs keep the host alive). */
  get serving(): boolean {
    return this.server !== null;
  }

  async close(): Promise<void> {
    if (this.server) await (await this.server).close().catch(() => undefined);
  }
}

// The dashboard's frame: header, hidden-store banner, navigation and the current view. Which view
// shows is the route (routes.ts): the navigation changes it and the router mirrors it in the URL.
import type { ReactNode } from 'react';
import { useDash } from '../context.ts';
import type { View } from '../../../electron/node-host/api/routes.ts';
import { HiddenStoreBanner } from './Banner.tsx';
import { ContainersView } from './ContainersView.tsx';
import { DiskView } from './DiskView.tsx';
import { Header } from './Header.tsx';
import { ImagesView } from './ImagesView.tsx';
import { SettingsView } from './SettingsView.tsx';
import { TroubleshootView } from './TroubleshootView.tsx';
import { VolumesView } from './VolumesView.tsx';

const NAV: Array<[View, string]> = [
  ['containers', 'Containers'],
  ['images', 'Images'],
  ['volumes', 'Volumes'],
  ['disk', 'Disk'],
  ['settings', 'Settings'],
  ['troubleshoot', 'Troubleshoot'],
];

const VIEW: Record<View, () => ReactNode> = {
  containers: ContainersView,
  images: ImagesView,
  volumes: VolumesView,
  disk: DiskView,
  settings: SettingsView,
  troubleshoot: TroubleshootView,
};

export function App(): ReactNode {
  const view = useDash((s) => s.view);
  const setView = useDash((s) => s.setView);
  const Current = VIEW[view];
  return (
    <div className="app">
      {/* The fragment is the route: the skip link moves focus without changing it. */}
      <a
        className="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <Header />
      <div className="body">
        <nav aria-label="Sections" className="nav">
          {NAV.map(([v, label]) => (
            <button key={v} type="button" aria-current={view === v ? 'page' : undefined} onClick={() => setView(v)}>
              {label}
            </button>
          ))}
        </nav>
        <main id="main" tabIndex={-1}>
          <HiddenStoreBanner />
          <Current />
        </main>
      </div>
    </div>
  );
}

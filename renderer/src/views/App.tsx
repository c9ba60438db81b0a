// The dashboard's frame: header, hidden-store banner, navigation and the current view.
import type { ReactNode } from 'react';
import { useDash } from '../context.ts';
import type { View } from '../state/store.ts';
import { HiddenStoreBanner } from './Banner.tsx';
import { ContainersView } from './ContainersView.tsx';
import { Header } from './Header.tsx';
import { ImagesView } from './ImagesView.tsx';
import { SettingsView } from './SettingsView.tsx';
import { TroubleshootView } from './TroubleshootView.tsx';

const NAV: Array<[View, string]> = [['containers', 'Containers'], ['images', 'Images'], ['settings', 'Settings'], ['troubleshoot', 'Troubleshoot']];

export function App(): ReactNode {
  const view = useDash((s) => s.view);
  const setView = useDash((s) => s.setView);
  return (
    <div className="app">
      <a className="skip" href="#main">Skip to content</a>
      <Header />
      <div className="body">
        <nav aria-label="Sections" className="nav">
          {NAV.map(([v, label]) => (
            <button key={v} type="button" aria-current={view === v ? 'page' : undefined} onClick={() => setView(v)}>{label}</button>
          ))}
        </nav>
        <main id="main" tabIndex={-1}>
          <HiddenStoreBanner />
          {view === 'containers' ? <ContainersView /> : view === 'images' ? <ImagesView /> : view === 'settings' ? <SettingsView /> : <TroubleshootView />}
        </main>
      </div>
    </div>
  );
}

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './views/App.tsx';
import { DashContext } from './context.ts';
import { createDashStore, loadAll } from './state/store.ts';
import { startRouter } from './router.ts';
import { connect } from './transport.ts';
import './styles.css';

let store: ReturnType<typeof createDashStore> | null = null;
const client = connect((connection) => {
  store?.setState({ connection });
  if (connection === 'open' && store) void loadAll(client, store);
});
store = createDashStore(client);
// The view named by the URL's fragment (#/settings, …) from the first render on.
startRouter(store);
if (store.getState().connection !== 'open' && window.berth) store.setState({ connection: 'open' });
void (window.berth && loadAll(client, store));

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <DashContext.Provider value={{ client, store }}>
      <App />
    </DashContext.Provider>
  </StrictMode>,
);

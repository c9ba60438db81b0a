// The preload of every Berth window (sandboxed: bundled to one CommonJS file by build.ts).
// It exposes window.berth, the dashboard contract over IPC, and nothing else.
import { contextBridge, ipcRenderer } from 'electron';
import { createBridge } from './bridge.ts';

contextBridge.exposeInMainWorld('berth', createBridge(ipcRenderer));

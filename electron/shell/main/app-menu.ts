// The standard application menu (macOS app menu, File, Edit, View, Window, Help) as Electron's
// menu template. Quit goes through the shell's quit, which stops the VM first.
import type { MenuItemConstructorOptions } from 'electron';

export type View = 'containers' | 'images' | 'settings' | 'troubleshoot';

export interface MenuActions {
  show(view: View): void;
  restart(): void;
  quit(): void;
}

export function appMenuTemplate(
  platform: NodeJS.Platform,
  actions: MenuActions,
  opts: { devTools: boolean },
): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  const settings: MenuItemConstructorOptions = {
    label: mac ? 'Settings…' : 'Settings',
    accelerator: 'CmdOrCtrl+,',
    click: () => actions.show('settings'),
  };
  const quit: MenuItemConstructorOptions = {
    label: mac ? 'Quit Berth' : 'Quit',
    accelerator: 'CmdOrCtrl+Q',
    click: () => actions.quit(),
  };
  const template: MenuItemConstructorOptions[] = [];
  if (mac) {
    template.push({
      label: 'Berth',
      submenu: [
        { role: 'about' },
        { type: 'separator' },
        settings,
        { type: 'separator' },
        { role: 'services' },
        { type: 'separator' },
        { role: 'hide' },
        { role: 'hideOthers' },
        { role: 'unhide' },
        { type: 'separator' },
        quit,
      ],
    });
  }
  template.push({
    label: 'File',
    submenu: [
      { label: 'Dashboard', accelerator: 'CmdOrCtrl+1', click: () => actions.show('containers') },
      { label: 'Images', accelerator: 'CmdOrCtrl+2', click: () => actions.show('images') },
      ...(mac ? [] : [settings]),
      { label: 'Restart Docker Engine', click: () => actions.restart() },
      { type: 'separator' },
      { role: 'close' },
      ...(mac ? [] : [{ type: 'separator' } as const, quit]),
    ],
  });
  template.push({
    label: 'Edit',
    submenu: [
      { role: 'undo' },
      { role: 'redo' },
      { type: 'separator' },
      { role: 'cut' },
      { role: 'copy' },
      { role: 'paste' },
      { role: 'selectAll' },
    ],
  });
  template.push({
    label: 'View',
    submenu: [
      { role: 'reload' },
      ...(opts.devTools ? [{ role: 'toggleDevTools' } as const] : []),
      { type: 'separator' },
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  });
  template.push({
    label: 'Window',
    submenu: mac
      ? [{ role: 'minimize' }, { role: 'zoom' }, { type: 'separator' }, { role: 'front' }]
      : [{ role: 'minimize' }, { role: 'close' }],
  });
  template.push({ role: 'help', submenu: [{ label: 'Troubleshoot', click: () => actions.show('troubleshoot') }] });
  return template;
}

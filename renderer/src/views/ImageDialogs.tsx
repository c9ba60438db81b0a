// Pull (with a real progress bar), push, tag, remove (in-use protection, force) and run (name,
// ports, env). Errors stay inline in the dialog, in the engine's words.
import { useState, type ReactNode } from 'react';
import type { Image } from '../../../electron/node-host/api/docker-types.ts';
import { ContainerNameSchema, EnvNameSchema, ImageRefSchema } from '../../../electron/node-host/api/docker-types.ts';
import { useClient, useDash } from '../context.ts';
import { shortId } from '../format.ts';
import { ErrorText, Modal, ProgressBar, newOpId, useAction } from './common.tsx';

export type ImageAction = { kind: 'pull' } | { kind: 'push' | 'tag' | 'remove' | 'run'; image: Image; repoTag: string };

export function ImageDialog({ action, onClose }: { action: ImageAction; onClose: () => void }): ReactNode {
  switch (action.kind) {
    case 'pull':
      return <TransferDialog kind="pull" onClose={onClose} />;
    case 'push':
      return <TransferDialog kind="push" initialRef={action.repoTag} onClose={onClose} />;
    case 'tag':
      return <TagDialog image={action.image} repoTag={action.repoTag} onClose={onClose} />;
    case 'remove':
      return <RemoveDialog image={action.image} repoTag={action.repoTag} onClose={onClose} />;
    case 'run':
      return <RunDialog image={action.image} repoTag={action.repoTag} onClose={onClose} />;
  }
}

function TransferDialog({
  kind,
  initialRef = '',
  onClose,
}: {
  kind: 'pull' | 'push';
  initialRef?: string;
  onClose: () => void;
}): ReactNode {
  const client = useClient();
  const [ref, setRef] = useState(initialRef);
  const [opId, setOpId] = useState<string | null>(null);
  const [finished, setFinished] = useState(false);
  const progress = useDash((s) => (opId ? s.transfers[opId] : undefined));
  const act = useAction();
  const valid = ImageRefSchema.safeParse(ref);
  const start = (): void => {
    const id = newOpId();
    setOpId(id);
    setFinished(false);
    void act.run(async () => {
      if (kind === 'pull') await client.call('images.pull', { ref: ref.trim(), opId: id });
      else await client.call('images.push', { ref: ref.trim(), opId: id });
      setFinished(true);
    });
  };
  const verb = kind === 'pull' ? 'Pull' : 'Push';
  return (
    <Modal title={`${verb} an image`} onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (valid.success && !act.busy) start();
        }}
      >
        <label className="field">
          Image reference
          <input
            autoFocus
            value={ref}
            onChange={(e) => setRef(e.target.value)}
            placeholder="registry.example:5000/team/app:1.0"
            readOnly={kind === 'push'}
          />
        </label>
        {ref && !valid.success ? <p className="hint">{valid.error.issues[0]?.message}</p> : null}
        {progress ? (
          <div className="transfer" data-testid="pull-progress">
            <ProgressBar percent={progress.percent} label={`${kind} progress`} />
            <p className="muted">
              {progress.percent !== null ? `${Math.round(progress.percent)}% — ` : ''}
              {progress.status}
            </p>
            <ul className="layers">
              {progress.layers.map((l) => (
                <li key={l.id} className="mono">
                  {l.id}: {l.status}
                </li>
              ))}
            </ul>
          </div>
        ) : null}
        {finished ? (
          <p className="ok-text" role="status">
            {verb === 'Pull' ? 'Pulled' : 'Pushed'} {progress?.ref ?? ref}.
          </p>
        ) : null}
        <ErrorText error={act.error} />
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            {finished ? 'Close' : act.busy ? 'Hide' : 'Cancel'}
          </button>
          <button type="submit" className="primary" disabled={!valid.success || act.busy}>
            {act.busy ? `${verb}ing…` : verb}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function TagDialog({ image, repoTag, onClose }: { image: Image; repoTag: string; onClose: () => void }): ReactNode {
  const client = useClient();
  const [target, setTarget] = useState(image.dangling ? '' : repoTag);
  const act = useAction();
  const valid = ImageRefSchema.safeParse(target);
  return (
    <Modal title="Tag an image" onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (valid.success)
            void act
              .run(() => client.call('images.tag', { source: image.id, target: target.trim() }))
              .then((ok) => ok && onClose());
        }}
      >
        <p>
          New name for <span className="mono">{image.dangling ? shortId(image.id) : repoTag}</span> (the image is not
          copied).
        </p>
        <label className="field">
          New repository:tag
          <input autoFocus value={target} onChange={(e) => setTarget(e.target.value)} />
        </label>
        {target && !valid.success ? <p className="hint">{valid.error.issues[0]?.message}</p> : null}
        <ErrorText error={act.error} />
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={!valid.success || act.busy}>
            Tag
          </button>
        </div>
      </form>
    </Modal>
  );
}

function RemoveDialog({ image, repoTag, onClose }: { image: Image; repoTag: string; onClose: () => void }): ReactNode {
  const client = useClient();
  const [force, setForce] = useState(false);
  const act = useAction();
  const inUse = image.usedBy.length > 0;
  // Removing by name only untags when other tags remain; by ID removes the image itself.
  const target = image.dangling || image.repoTags.length <= 1 ? image.id : repoTag;
  return (
    <Modal title={`Remove ${image.dangling ? shortId(image.id) : repoTag}?`} onClose={onClose}>
      {target === image.id ? (
        <p>
          This deletes the image <span className="mono">{shortId(image.id)}</span> and the layers no other image uses.
        </p>
      ) : (
        <p>
          This removes the tag <span className="mono">{repoTag}</span>; the image keeps its other tags.
        </p>
      )}
      {inUse ? (
        <>
          <p className="warning-text">
            In use by {image.usedBy.join(', ')}. The engine refuses to delete an image a container uses.
          </p>
          <label className="check">
            <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} /> Force (untag even
            though stopped containers use it)
          </label>
        </>
      ) : null}
      <ErrorText error={act.error} />
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          className="danger"
          disabled={act.busy}
          onClick={() =>
            void act.run(() => client.call('images.remove', { id: target, force })).then((ok) => ok && onClose())
          }
        >
          Remove
        </button>
      </div>
    </Modal>
  );
}

interface PortRow {
  host: string;
  container: string;
  protocol: 'tcp' | 'udp';
}
interface EnvRow {
  name: string;
  value: string;
}

function RunDialog({ image, repoTag, onClose }: { image: Image; repoTag: string; onClose: () => void }): ReactNode {
  const client = useClient();
  const setView = useDash((s) => s.setView);
  const [name, setName] = useState('');
  const [ports, setPorts] = useState<PortRow[]>([]);
  const [env, setEnv] = useState<EnvRow[]>([]);
  const act = useAction();
  const errors: string[] = [];
  if (name && !ContainerNameSchema.safeParse(name).success)
    errors.push('Name: letters, digits, _ . - and starting with a letter or digit.');
  const portNum = (s: string): number | null => (/^\d+$/.test(s) && +s >= 1 && +s <= 65535 ? +s : null);
  ports.forEach((p, i) => {
    if (portNum(p.host) === null || portNum(p.container) === null)
      errors.push(`Port ${i + 1}: both ports must be 1–65535.`);
  });
  env.forEach((e, i) => {
    if (!EnvNameSchema.safeParse(e.name).success) errors.push(`Variable ${i + 1}: invalid name.`);
  });
  const submit = (): void => {
    void act
      .run(() =>
        client.call('images.run', {
          image: image.dangling ? image.id : repoTag,
          ...(name ? { name } : {}),
          ports: ports.map((p) => ({
            hostPort: Number(p.host),
            containerPort: Number(p.container),
            protocol: p.protocol,
          })),
          env: env.map((e) => ({ name: e.name, value: e.value })),
        }),
      )
      .then((ok) => {
        if (ok) {
          onClose();
          setView('containers');
        }
      });
  };
  return (
    <Modal title={`Run ${image.dangling ? shortId(image.id) : repoTag}`} onClose={onClose} wide>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!errors.length) submit();
        }}
      >
        <label className="field">
          Container name (optional)
          <input autoFocus value={name} onChange={(e) => setName(e.target.value)} placeholder="a random name" />
        </label>
        <fieldset>
          <legend>Ports (host → container)</legend>
          {ports.map((p, i) => (
            <div className="pair" key={i}>
              <input
                aria-label={`Host port ${i + 1}`}
                inputMode="numeric"
                value={p.host}
                onChange={(e) => setPorts(ports.map((q, j) => (j === i ? { ...q, host: e.target.value } : q)))}
                placeholder="8080"
              />
              <span aria-hidden="true">→</span>
              <input
                aria-label={`Container port ${i + 1}`}
                inputMode="numeric"
                value={p.container}
                onChange={(e) => setPorts(ports.map((q, j) => (j === i ? { ...q, container: e.target.value } : q)))}
                placeholder="80"
              />
              <select
                aria-label={`Protocol ${i + 1}`}
                value={p.protocol}
                onChange={(e) =>
                  setPorts(ports.map((q, j) => (j === i ? { ...q, protocol: e.target.value as 'tcp' | 'udp' } : q)))
                }
              >
                <option value="tcp">tcp</option>
                <option value="udp">udp</option>
              </select>
              <button
                type="button"
                onClick={() => setPorts(ports.filter((_, j) => j !== i))}
                aria-label={`Remove port ${i + 1}`}
              >
                ✕
              </button>
            </div>
          ))}
          <button type="button" onClick={() => setPorts([...ports, { host: '', container: '', protocol: 'tcp' }])}>
            Add port
          </button>
        </fieldset>
        <fieldset>
          <legend>Environment variables</legend>
          {env.map((v, i) => (
            <div className="pair" key={i}>
              <input
                aria-label={`Variable name ${i + 1}`}
                value={v.name}
                onChange={(e) => setEnv(env.map((q, j) => (j === i ? { ...q, name: e.target.value } : q)))}
                placeholder="NAME"
              />
              <span aria-hidden="true">=</span>
              <input
                aria-label={`Variable value ${i + 1}`}
                value={v.value}
                onChange={(e) => setEnv(env.map((q, j) => (j === i ? { ...q, value: e.target.value } : q)))}
                placeholder="value"
              />
              <button
                type="button"
                onClick={() => setEnv(env.filter((_, j) => j !== i))}
                aria-label={`Remove variable ${i + 1}`}
              >
                ✕
              </button>
            </div>
          ))}
          <button type="button" onClick={() => setEnv([...env, { name: '', value: '' }])}>
            Add variable
          </button>
        </fieldset>
        {errors.map((e) => (
          <p key={e} className="hint">
            {e}
          </p>
        ))}
        <ErrorText error={act.error} />
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={errors.length > 0 || act.busy}>
            Run
          </button>
        </div>
      </form>
    </Modal>
  );
}

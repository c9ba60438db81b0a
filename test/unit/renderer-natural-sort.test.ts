// Natural order for tags and names: digit runs compare as numbers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { naturalCompare } from '../../renderer/src/natural-sort.ts';

const sorted = (xs: string[]): string[] => [...xs].sort(naturalCompare);

describe('naturalCompare', () => {
  it('puts app:2 before app:10, and v1.9 before v1.10', () => {
    assert.deepEqual(sorted(['app:10', 'app:2', 'app:1']), ['app:1', 'app:2', 'app:10']);
    assert.deepEqual(sorted(['app:v1.10', 'app:v1.9', 'app:v1.9.1']), ['app:v1.9', 'app:v1.9.1', 'app:v1.10']);
    assert.ok(naturalCompare('app:2', 'app:10') < 0);
    assert.ok(naturalCompare('app:10', 'app:2') > 0);
  });

  it('compares whole repositories first, case-insensitively, with a fixed order for ties', () => {
    assert.deepEqual(sorted(['b:1', 'a:2', 'A:1', 'a:1']), ['A:1', 'a:1', 'a:2', 'b:1']);
    assert.deepEqual(
      sorted(['app-10:1', 'app:1', 'app-9:1']),
      ['app-9:1', 'app-10:1', 'app:1'],
      'the repository decides before the tag',
    );
    assert.equal(naturalCompare('x:1', 'x:1'), 0);
  });

  it('handles numbers longer than a double, and leading zeros', () => {
    assert.ok(naturalCompare('t:99999999999999999999', 't:100000000000000000000') < 0);
    assert.ok(naturalCompare('t:007', 't:7') > 0, 'equal value: the padded one after');
    assert.ok(naturalCompare('t:007', 't:8') < 0);
    assert.ok(naturalCompare('t:0', 't:00') < 0);
  });

  it('is a consistent order (antisymmetric) over mixed names', () => {
    const xs = ['app:10', 'app:2', 'app:latest', 'app', 'app-1:3', 'b', '10', '9', 'x1y2', 'x1y10', 'x01y3', ''];
    for (const a of xs)
      for (const b of xs)
        assert.equal(Math.sign(naturalCompare(a, b)) + Math.sign(naturalCompare(b, a)), 0, `${a} vs ${b}`);
    assert.deepEqual(sorted(['x1y10', 'x1y2']), ['x1y2', 'x1y10']);
  });
});

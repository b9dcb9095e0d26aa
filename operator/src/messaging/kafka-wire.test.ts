// Golden bytes of the four requests kafkajs lacks, checked by hand against the Kafka protocol's
// JSON schemas (clients/src/main/resources/common/message/*.json of Kafka 3.9).
import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  decodeAlterClientQuotas,
  decodeAlterScramCredentials,
  decodeDescribeClientQuotas,
  decodeDescribeScramCredentials,
  encodeAlterClientQuotas,
  encodeAlterScramCredentials,
  encodeDescribeClientQuotas,
  encodeDescribeScramCredentials,
  saltedPassword,
  scramUpsertion,
} from './kafka-wire.ts';

const hex = (b: Buffer) => b.toString('hex');

describe('AlterUserScramCredentials v0', () => {
  it('encodes the header tag byte, compact arrays, strings and bytes', () => {
    const body = encodeAlterScramCredentials({
      deletions: [{ name: 'bo', mechanism: 'SCRAM-SHA-256' }],
      upsertions: [
        {
          name: 'al',
          mechanism: 'SCRAM-SHA-512',
          iterations: 4096,
          salt: Buffer.from([0xaa]),
          saltedPassword: Buffer.from([0xbb, 0xcc]),
        },
      ],
    });
    // 00 header tags | 02 one deletion: 03 'bo' 01 00 | 02 one upsertion: 03 'al' 02 00001000 02 aa 03 bbcc 00 | 00
    assert.equal(
      hex(body),
      '00' +
        '02' +
        '03626f' +
        '01' +
        '00' +
        '02' +
        '03616c' +
        '02' +
        '00001000' +
        '02aa' +
        '03bbcc' +
        '00' +
        '00',
    );
  });

  it('decodes per-user results after the response header tag byte', () => {
    const raw = Buffer.from('00' + '00000000' + '02' + '03616c' + '0044' + '0462616400' + '00', 'hex');
    assert.deepEqual(decodeAlterScramCredentials(raw).results, [
      { user: 'al', errorCode: 68, errorMessage: 'bad' },
    ]);
  });

  it('salts the password with PBKDF2-HMAC of the mechanism, 64 bytes for SHA-512', () => {
    const salt = Buffer.from('salt');
    const salted = saltedPassword('SCRAM-SHA-512', 'pw', salt, 4096);
    assert.equal(salted.length, 64);
    assert.deepEqual(salted, pbkdf2Sync('pw', salt, 4096, 64, 'sha512'));
    assert.equal(saltedPassword('SCRAM-SHA-256', 'pw', salt, 4096).length, 32);
    assert.throws(() => scramUpsertion('u', 'SCRAM-SHA-512', 'pw', 1000), RangeError);
  });
});

describe('DescribeUserScramCredentials v0', () => {
  it('encodes one user and decodes its credentials', () => {
    assert.equal(hex(encodeDescribeScramCredentials(['al'])), '00' + '02' + '03616c00' + '00');
    assert.equal(hex(encodeDescribeScramCredentials(null)), '000000');
    const raw = Buffer.from(
      '00' +
        '00000000' +
        '0000' +
        '00' +
        '02' +
        '03616c' +
        '0000' +
        '00' +
        '02' +
        '02' +
        '00002000' +
        '00' +
        '00' +
        '00',
      'hex',
    );
    assert.deepEqual(decodeDescribeScramCredentials(raw), {
      errorCode: 0,
      errorMessage: null,
      results: [
        {
          user: 'al',
          errorCode: 0,
          errorMessage: null,
          credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 8192 }],
        },
      ],
    });
  });
});

describe('AlterClientQuotas v0 and DescribeClientQuotas v0', () => {
  it('encodes a set and a removal for one user entity', () => {
    const body = encodeAlterClientQuotas([{ entity: { user: 'al' }, values: { a: 1, b: null } }]);
    assert.equal(
      hex(body),
      '00000001' +
        '00000001' +
        '000475736572' +
        '0002616c' +
        '00000002' +
        '000161' +
        '3ff0000000000000' +
        '00' +
        '000162' +
        '0000000000000000' +
        '01' +
        '00',
    );
    const raw = Buffer.from(
      '00000000' + '00000001' + '0000' + 'ffff' + '00000001' + '000475736572' + '0002616c',
      'hex',
    );
    assert.deepEqual(decodeAlterClientQuotas(raw).entries, [
      { errorCode: 0, errorMessage: null, entity: { user: 'al' } },
    ]);
  });

  it('describes one entity strictly and decodes its values', () => {
    assert.equal(
      hex(encodeDescribeClientQuotas({ user: 'al' })),
      '00000001' + '000475736572' + '00' + '0002616c' + '01',
    );
    assert.equal(
      hex(encodeDescribeClientQuotas({ user: null })),
      '00000001' + '000475736572' + '01' + 'ffff' + '01',
    );
    const raw = Buffer.from(
      '00000000' +
        '0000' +
        'ffff' +
        '00000001' +
        '00000001' +
        '000475736572' +
        '0002616c' +
        '00000001' +
        '000161' +
        '4000000000000000',
      'hex',
    );
    assert.deepEqual(decodeDescribeClientQuotas(raw), {
      errorCode: 0,
      errorMessage: null,
      entries: [{ entity: { user: 'al' }, values: { a: 2 } }],
    });
  });
});

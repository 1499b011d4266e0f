import { describe, expect, it } from 'vitest';
import { changeTopic, positionTopic, sanitizeTopicPart, schemaTopic, signalTopic } from '../../../src/streams/topic-names.js';

const kafkaLegal = /^[a-zA-Z0-9._-]+$/;

describe('changeTopic', () => {
  it('is <prefix>.<db>.<table>', () => {
    expect(changeTopic('sluice', 'sakila', 'film_actor')).toBe('sluice.sakila.film_actor');
  });

  it('keeps letters, digits, underscores and hyphens', () => {
    expect(changeTopic('p', 'Shop-2024', 'Order_Items9')).toBe('p.Shop-2024.Order_Items9');
  });

  it('replaces dots inside db and table names, so the parts stay apart', () => {
    expect(changeTopic('p', 'my.db', 'a.b')).toBe('p.my_db.a_b');
  });

  it('replaces spaces and other punctuation', () => {
    expect(changeTopic('p', 'my db', 'order items$')).toBe('p.my_db.order_items_');
    expect(changeTopic('p', 'a/b', 'c`d')).toBe('p.a_b.c_d');
  });

  it('replaces characters outside ASCII', () => {
    const topic = changeTopic('p', 'café', 'naïve_日本');
    expect(topic).toBe('p.caf_.na_ve___');
    expect(topic).toMatch(kafkaLegal);
  });

  it('gives a name Kafka accepts whatever the db and table', () => {
    for (const [db, table] of [['a b', 'c.d'], ['Ünïcödé', '表'], ['x', '😀'], ['tab\there', 'new\nline']]) {
      expect(changeTopic('sluice', db ?? '', table ?? '')).toMatch(kafkaLegal);
    }
  });
});

describe('sanitizeTopicPart', () => {
  it('replaces each UTF-16 code unit Kafka refuses with one underscore', () => {
    expect(sanitizeTopicPart('😀')).toBe('__');
    expect(sanitizeTopicPart('')).toBe('');
  });
});

describe('pipeline topics', () => {
  it('names the schema, position and signal topics after the prefix', () => {
    expect(schemaTopic('sluice')).toBe('sluice.__schemas');
    expect(positionTopic('sluice')).toBe('sluice.__positions');
    expect(signalTopic('sluice')).toBe('sluice.__signals');
  });

  it('cannot collide with a change topic, which always has three parts', () => {
    const internal = [schemaTopic('p'), positionTopic('p'), signalTopic('p')];
    expect(internal.map((topic) => topic.split('.').length)).toEqual([2, 2, 2]);
    expect(changeTopic('p', '__schemas', 't').split('.')).toHaveLength(3);
  });
});

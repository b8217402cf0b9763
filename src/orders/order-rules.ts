// Pricing rules, pure and versioned: an order records which rule priced it, so a switch can move
// orders between versions and an operator can tell afterwards which rule each one got.
import type { OrderItem } from './order-schema.js';

export type RuleVersion = 1 | 2;

export type Pricing = { goodsTotal: number; shippingFee: number; total: number; ruleVersion: RuleVersion };

const SHIPPING = {
  // v1: 3,000 KRW below 30,000 KRW of goods, free from 30,000.
  1: { freeFrom: 30_000, fee: 3_000 },
  // v2: 2,500 KRW below 20,000 KRW of goods, free from 20,000.
  2: { freeFrom: 20_000, fee: 2_500 },
} as const;

export function priceOrder(items: readonly OrderItem[], ruleVersion: RuleVersion): Pricing {
  const goodsTotal = items.reduce((sum, i) => sum + i.quantity * i.unitPrice, 0);
  const rule = SHIPPING[ruleVersion];
  const shippingFee = goodsTotal >= rule.freeFrom ? 0 : rule.fee;
  return { goodsTotal, shippingFee, total: goodsTotal + shippingFee, ruleVersion };
}

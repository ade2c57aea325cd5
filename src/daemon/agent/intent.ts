/**
 * What a customer's message is, read from the whole message rather than from a word inside it: a request for a
 * person, a complaint, a question, a yes or a no to a read-back. Pure text work over the FAQ's word lists.
 *
 * 客服 and 人工 alone do not make a request: 「客服你好，名片多少钱」 is a price question and 「设计要另外收人工费吗」
 * is about a fee. A request names a person with a verb (转人工, 找客服, 叫老板来, 跟真人说), or is nothing but the
 * person (「人工」, 「人工！人工！」), or refuses the bot (「别用机器人回我」, 「机器人别回了，叫人来」).
 */
import type { Faq } from './faq.js';
import { normalizeForMatch, tokenize } from './segmenter.js';

const PERSON = '(?:人工客服|人工服务|人工|真人|活人|客服|老板|店长|负责人|经理|前台|工作人员)';
const ASK_FOR_PERSON = new RegExp(
  `(?:转|转接|找|要|叫|接|换|联系|呼叫|请|让|来|给我)(?:一个|一下|个|下|位|你们的?|你们)*${PERSON}(?!费|成本|费用|做|印|的价|电话|微信|号码|联系方式)`,
);
const ONLY_PERSON = /^(?:人工|人工客服|人工服务|真人|转人工|真人客服)+$/;
/** 「我要跟真人说话」: talking to a person. */
const TALK_TO_PERSON = new RegExp(`(?:跟|和|同|与)(?:你们的?)?${PERSON}(?:说|聊|沟通|对话|谈|讲|联系)`);
const REFUSES_BOT =
  /(?:不要|别|不想|不用|不跟|不和).{0,4}(?:机器人|自动回复|ai|智能客服)|(?:机器人|自动回复).{0,4}(?:听不懂|没用|答非所问|别回|不要回|闭嘴)|叫(?:个|一个)?人(?:来|过来)/;
/** Politeness and filler around a request: 「你好，麻烦转人工谢谢」 is still only a request. */
const FILLER = /你好|您好|麻烦|请|帮我|给我|谢谢|快点|一下|吧|呢|啊|呀|吗|哦|喂|我要|我想|需要|马上|赶紧/g;
const PUNCT = /[\s\p{P}\p{S}\p{Extended_Pictographic}]/gu;
const HYPOTHETICAL = /如果|万一|要是|假如|会不会|怎么办|能不能|可以.{0,4}吗/;

export const QUESTION =
  /[?？]|多少|几[天点个号时张份块钱]|几$|吗|么|如何|哪|能不能|可不可以|是否|有没有|咋|啥|呢$|行不行|好不好|对不对|多久|多长|多大|多钱/;
export const PRICE = /报价|价格|价钱|多少钱|费用|怎么收费|收费|几块|多钱|怎么卖|什么价|单价|贵不贵|便宜/;

const DEFAULT_YES = [
  '确认',
  '确定',
  '对',
  '对的',
  '是',
  '是的',
  '没问题',
  '可以',
  '好',
  '好的',
  '行',
  'ok',
  '嗯',
  '嗯嗯',
  '下单',
  '就这样',
  '没错',
  '正确',
  '确认下单',
  '好滴',
  '可以的',
  '同意',
  'yes',
];
const DEFAULT_NO = ['取消', '算了', '不要了', '不用了', '先不下', '先不要', '不下了', '不做了', '等等再说', '再想想', '不需要了'];
const YES_FILLER = new Set([
  '了',
  '吧',
  '的',
  '啊',
  '呀',
  '哦',
  '嗯',
  '就',
  '这样',
  '麻烦',
  '谢谢',
  '请',
  '下单',
  '吧',
  '没',
  '问题',
  '可以',
  '亲',
]);

export function strip(text: string): string {
  return normalizeForMatch(text).replace(PUNCT, '');
}

/** The customer asks for a person (or refuses the bot). */
export function asksForPerson(text: string, faq: Faq): boolean {
  const t = strip(text);
  if (!t) return false;
  if (ASK_FOR_PERSON.test(t) || TALK_TO_PERSON.test(t) || REFUSES_BOT.test(t) || ONLY_PERSON.test(t.replace(FILLER, ''))) return true;
  // The FAQ's own phrases count when the message is not a question about something else (「人工客服几点上班」).
  return faq.data.handoff_words.some((w) => t.includes(strip(w))) && !QUESTION.test(t);
}

/** The customer complains (a complaint word, not a what-if question about one). */
export function complains(text: string, faq: Faq): boolean {
  const t = strip(text);
  return faq.data.complaint_words.some((w) => t.includes(strip(w))) && !HYPOTHETICAL.test(t);
}

export function isQuestion(text: string): boolean {
  return QUESTION.test(normalizeForMatch(text));
}

export function asksPrice(text: string): boolean {
  return PRICE.test(normalizeForMatch(text));
}

/** Says yes to the read-back and nothing else (「好的，确认下单」 yes; 「好的，数量改成 800」 no). */
export function saysYes(text: string, faq: Faq): boolean {
  const t = strip(text);
  if (!t || QUESTION.test(t)) return false;
  const yes = new Set((faq.data.confirm_words.length ? faq.data.confirm_words : DEFAULT_YES).map(strip));
  if (yes.has(t)) return true;
  // A yes word is in the text or no word of it can be one: most messages spare the segmentation.
  const normal = normalizeForMatch(t);
  if (![...yes].some((y) => y && normal.includes(y))) return false;
  const words = tokenize(t);
  return words.some((w) => yes.has(w)) && words.every((w) => yes.has(w) || YES_FILLER.has(w));
}

export function saysNo(text: string, faq: Faq): boolean {
  const t = strip(text);
  return (faq.data.cancel_words.length ? faq.data.cancel_words : DEFAULT_NO).some((w) => t.includes(strip(w)));
}

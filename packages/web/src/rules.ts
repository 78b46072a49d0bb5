/** Form rules shared by pages. */

/** Mainland resident identity number: 17 digits and a check character. */
export const ID_NUMBER_RULE = { pattern: /^\d{17}[\dXx]$/, message: '请输入18位身份证号码' };

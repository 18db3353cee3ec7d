import { benchEntitlementsHttp } from '../bench/entitlements-http.js';
const r = await benchEntitlementsHttp({ customers: 50, rate: 200, seconds: 3 });
console.log(r);

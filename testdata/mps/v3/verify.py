# Verifies the V3 (ACS3-HMAC-SHA256) signature of captured requests, independently of the Go
# code: python3 verify.py SECRET FILE...   (query.http, submit-*.http: testsecret;
# query-sts.http: stssecret). Written from help.aliyun.com document_detail/2593177.
import hashlib, hmac, sys, urllib.parse

def pct(s):
    return urllib.parse.quote(s, safe='-_.~')

def sign(method, path, query, headers, body, secret):
    cq = '&'.join(pct(k) + '=' + pct(v) for k, v in sorted(query))
    signed = sorted(headers)
    ch = ''.join(h + ':' + headers[h].strip() + '\n' for h in signed)
    cr = '\n'.join([method, path, cq, ch, ';'.join(signed), hashlib.sha256(body).hexdigest()])
    sts = 'ACS3-HMAC-SHA256\n' + hashlib.sha256(cr.encode()).hexdigest()
    return hmac.new(secret.encode(), sts.encode(), hashlib.sha256).hexdigest()

secret = sys.argv[1]
for f in sys.argv[2:]:
    head, _, body = open(f, 'rb').read().partition(b'\r\n\r\n')
    lines = head.decode().split('\r\n')
    method, target, _ = lines[0].split(' ')
    hd = {}
    for l in lines[1:]:
        k, v = l.split(':', 1)
        hd[k.strip().lower()] = v.strip()
    auth = hd['authorization']
    names = auth.split('SignedHeaders=')[1].split(',')[0].split(';')
    want = auth.split('Signature=')[1]
    path, _, q = target.partition('?')
    got = sign(method, path, urllib.parse.parse_qsl(q, keep_blank_values=True), {k: hd[k] for k in names}, body, secret)
    print(f, 'ok' if got == want else 'MISMATCH')

#!/usr/bin/env python3
"""Builds the letter-pair table in packages/privacy/src/tokens.ts (LETTER_PAIRS).

For every pair of lower-case letters a, b: how surprising b is after a, in whole bits (0-9, capped), in English words
(Debian's `wamerican` word list: `apt-get install wamerican`) and in romanised Japanese (words made of random kana
syllables). Random strings are full of surprising pairs; words are not. Run it and paste the 26 rows it prints.
"""
import math, random, re, itertools
words = [w.strip().lower() for w in open('/usr/share/dict/words') if re.fullmatch(r"[A-Za-z]+", w.strip())]
# romaji: every kana syllable, words made of 2-5 syllables
syl = [c+v for c in ['','k','s','t','n','h','m','y','r','w','g','z','d','b','p','sh','ch','ts','f','j','ky','gy','ny','hy','my','ry','by','py'] for v in 'aiueo'] + ['n']
random.seed(1)
romaji = [''.join(random.choice(syl) for _ in range(random.randint(2,5))) for _ in range(40000)]
train = words + romaji
A = 'abcdefghijklmnopqrstuvwxyz'
cnt = {a:{b:1 for b in A} for a in A}
for w in train:
    for x,y in zip(w, w[1:]): cnt[x][y]+=1
levels = {}
rows = []
for a in A:
    tot = sum(cnt[a].values())
    row=''
    for b in A:
        bits = -math.log2(cnt[a][b]/tot)
        lv = min(9, int(bits))  # 0..9 bits
        row += str(lv)
    rows.append(row)
print('\n'.join(rows))

#!/usr/bin/env python3
"""Makes the QualCoder-written .qdpx files of this folder (see README.md).

usage: make.py VENV_PYTHON DRIVER OUTDIR
Writes OUTDIR/input.qdpx (hand-made, the project QualCoder is given), then has QualCoder import
it and export it twice: plain, and with its "line endings for MAXQDA" option.
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

python, driver, out = sys.argv[1], os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])

def g(n):
    return f"{n:08x}-0000-4000-8000-000000000000"

# Two short synthetic interviews: accents, an emoji (outside the BMP) and several lines, so that
# position units and line endings matter.
TEXTS = {
    g(31): "Entrevista A\nDisse que a casa nova fica longe do centro.\nO trabalho no campo 🌾 acabou em março.\nFim.",
    g(32): "Entrevista B\nVoltou para a aldeia dos pais.\nSente falta da cidade, mas não do barulho.\nFim.",
}
# (source, passage, code, user)
CODED = [
    (g(31), "a casa nova fica longe do centro", g(3), g(1)),
    (g(31), "a casa nova fica longe do centro", g(3), g(2)),
    (g(31), "O trabalho no campo 🌾 acabou", g(5), g(1)),
    (g(31), "acabou em março", g(5), g(2)),
    (g(32), "Voltou para a aldeia dos pais", g(4), g(2)),
    (g(32), "Sente falta da cidade", g(6), g(1)),
    (g(32), "Sente falta da cidade", g(3), g(2)),
]

def selections(source):
    xml = []
    for n, (s, passage, code, user) in enumerate(CODED):
        if s != source:
            continue
        text = TEXTS[s]
        start = len(text[: text.index(passage)])  # code points
        end = start + len(passage)
        xml.append(
            f'<PlainTextSelection guid="{g(100 + n)}" name="" startPosition="{start}" endPosition="{end}" '
            f'creatingUser="{user}" creationDateTime="2026-05-0{1 + n % 3}T10:00:00Z">'
            f'<Coding guid="{g(200 + n)}" creatingUser="{user}" creationDateTime="2026-05-0{1 + n % 3}T10:00:00Z">'
            f'<CodeRef targetGUID="{code}" /></Coding></PlainTextSelection>'
        )
    return "\n".join(xml)

sources = "\n".join(
    f'<TextSource guid="{s}" name="Entrevista {name}" plainTextPath="internal://{s}.txt" creatingUser="{g(1)}">{selections(s)}</TextSource>'
    for s, name in [(g(31), "A"), (g(32), "B")]
)
PROJECT = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="qc-small" origin="hand-made for quire's tests">
<Users><User guid="{g(1)}" name="ana" /><User guid="{g(2)}" name="rui" /></Users>
<CodeBook><Codes>
<Code guid="{g(7)}" name="Lugares" isCodable="false" color="#336699"><Description>A folder: places.</Description>
<Code guid="{g(3)}" name="Casa" isCodable="true" color="#aa3300" />
<Code guid="{g(4)}" name="Aldeia" isCodable="true" color="#00aa33" />
</Code>
<Code guid="{g(5)}" name="Trabalho" isCodable="true" color="#888800"><Description>Work, paid or not.</Description></Code>
<Code guid="{g(6)}" name="Saudade" isCodable="true" color="#660066" />
</Codes></CodeBook>
<Variables><Variable guid="{g(11)}" name="idade" typeOfVariable="Integer" /><Variable guid="{g(12)}" name="regiao" typeOfVariable="Text" /></Variables>
<Cases>
<Case guid="{g(21)}" name="Pessoa A"><VariableValue><VariableRef targetGUID="{g(11)}" /><IntegerValue>41</IntegerValue></VariableValue><VariableValue><VariableRef targetGUID="{g(12)}" /><TextValue>Norte</TextValue></VariableValue><SourceRef targetGUID="{g(31)}" /></Case>
<Case guid="{g(22)}" name="Pessoa B"><VariableValue><VariableRef targetGUID="{g(11)}" /><IntegerValue>29</IntegerValue></VariableValue><VariableValue><VariableRef targetGUID="{g(12)}" /><TextValue>Centro</TextValue></VariableValue><SourceRef targetGUID="{g(32)}" /></Case>
</Cases>
<Sources>
{sources}
</Sources>
</Project>
"""

os.makedirs(out, exist_ok=True)
with zipfile.ZipFile(os.path.join(out, "input.qdpx"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("project.qde", PROJECT)
    for s, text in TEXTS.items():
        z.writestr(f"Sources/{s}.txt", text)

work = tempfile.mkdtemp()
env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=os.path.join(work, "home"))
os.makedirs(os.path.join(env["HOME"], ".qualcoder"))
subprocess.run([python, driver, "import", os.path.join(out, "input.qdpx"), os.path.join(work, "qc-small")], env=env, check=True)
for name, extra in [("qualcoder-export.qdpx", {}), ("qualcoder-export-maxqda-endings.qdpx", {"QC_MAXQDA_ENDINGS": "1"})]:
    dest = os.path.join(work, "out-" + name)
    os.makedirs(dest)
    subprocess.run([python, driver, "export", os.path.join(work, "qc-small.qda"), dest], env=dict(env, **extra), check=True)
    made = glob.glob(os.path.join(dest, "*.qdpx"))
    assert len(made) == 1, made
    shutil.copyfile(made[0], os.path.join(out, name))
shutil.rmtree(work)
